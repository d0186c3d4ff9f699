"""Registry retention counts tags, deletes a digest only when none of its tags is kept, names every tag that goes."""
import unittest

from fakehost import bd


def t(n):
    return "2026-01-01T00:00:%02dZ" % n


class RetentionPlanTest(unittest.TestCase):
    def test_keeps_the_newest_n_tags_and_the_protected_ones(self):
        tags = [(t(i), "v%d" % i, "sha256:%d" % i) for i in range(1, 8)]
        doomed, gone = bd.retention_plan(tags, 3, {"v2"})
        self.assertEqual(gone, ["v1", "v3", "v4"])
        self.assertEqual(doomed, ["sha256:1", "sha256:3", "sha256:4"])

    def test_a_digest_shared_with_a_kept_tag_is_kept_and_its_other_tags_stay(self):
        # 100 tags over 10 images: keep 10 means 10 tags, and the images those tags point at.
        tags = [(t(i % 60), "t%03d" % i, "sha256:%d" % (i % 10)) for i in range(100)]
        doomed, gone = bd.retention_plan(tags, 10, set())
        kept_digests = {d for _, _, d in tags} - set(doomed)
        self.assertEqual(len(kept_digests) + len(doomed), 10)
        # Every tag that disappears is named, and none of them points at a kept digest.
        self.assertEqual(gone, sorted(tag for _, tag, d in tags if d in doomed))
        self.assertFalse({d for _, tag, d in tags if tag in gone} & kept_digests)

    def test_the_newest_tags_are_decided_by_creation_time_with_fractions_not_by_text(self):
        tags = [("2026-01-01T00:00:01.5Z", "a", "d1"), ("2026-01-01T00:00:01.25Z", "b", "d2"), ("2026-01-01T00:00:01Z", "c", "d3")]
        self.assertEqual(bd.retention_plan(tags, 1, set()), (["d2", "d3"], ["b", "c"]))

    def test_an_image_without_a_creation_date_counts_as_newest(self):
        tags = [("", "undated", "d1"), (t(5), "v5", "d2"), (t(4), "v4", "d3")]
        self.assertEqual(bd.retention_plan(tags, 2, set()), (["d3"], ["v4"]))


if __name__ == "__main__":
    unittest.main()


class AwaitRegistryTest(unittest.TestCase):
    """After garbage-collect restarts the registry, retention returns only once it answers again."""

    class Reg:
        def __init__(self, fails):
            self.fails, self.calls = fails, 0

        def request(self, method, path, accept=None):
            self.calls += 1
            if self.calls <= self.fails:
                raise bd.Failed("registry GET /v2/: [Errno 111] Connection refused")
            return 200, {}, b"{}"

    def host(self):
        from fakehost import Harness
        h = Harness()
        self.addCleanup(h.cleanup)
        return h.host()

    def test_waits_until_the_restarted_registry_answers(self):
        host, reg = self.host(), self.Reg(fails=5)
        bd.await_registry(host, reg)
        self.assertEqual(reg.calls, 6)

    def test_a_registry_that_never_answers_fails_clearly(self):
        host, reg = self.host(), self.Reg(fails=10**6)
        with self.assertRaises(bd.Failed) as e:
            bd.await_registry(host, reg)
        self.assertIn("the registry did not answer within 60s of its restart", str(e.exception))
