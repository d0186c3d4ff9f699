"""The app runtime: the release step, restart with the current env, `env` digests, `logs`."""
import copy
import hashlib
import hmac
import io
import os
import time
import unittest

from fakehost import Harness, bd, golden_apps


def with_release(apps):
    apps = copy.deepcopy(apps)
    apps["apps"][0]["parts"][1]["release"] = ["node", "migrate.js", "--up"]
    apps["apps"][0]["parts"][1]["releaseTimeoutSeconds"] = 30
    apps["apps"][0]["parts"][0]["runtime"]["clear"] = ["GREETING"]
    apps["apps"][0]["parts"][0]["runtime"]["secrets"] = ["API_TOKEN", "SIGNING_KEY"]
    return apps


class RuntimeTestCase(unittest.TestCase):
    def setUp(self):
        self.h = Harness(with_release(golden_apps()))
        self.app = self.h.app()

    def tearDown(self):
        self.h.cleanup()

    def deploy(self, tag):
        bd.cmd_deploy(self.h.host(), self.app, tag)


class ReleaseStepTest(RuntimeTestCase):
    def test_runs_once_with_the_new_image_and_the_parts_env_before_any_candidate_starts(self):
        self.deploy("v1")
        runs = [c[3:] for c in self.h.runner.calls if c[0] == "docker" and c[3] == "run"]
        self.assertTrue(runs[0][:2] == ["run", "--rm"])  # the release step first
        release = runs[0]
        self.assertEqual(release[release.index("--entrypoint") + 1:], ["node", "127.0.0.1:5000/web-backend:v1", "migrate.js", "--up"])
        self.assertIn("--env-file", release)
        self.assertIn(os.path.join(self.h.root, "etc/berth/apps/web/backend.env"), release)
        self.assertEqual(release[release.index("--network") + 1], "berth-apps")
        self.assertEqual(len(self.h.runner.docker.one_offs), 1)  # only the back end has one
        log = self.h.log()[-1]
        self.assertEqual(log["release"][0]["exitCode"], 0)
        self.assertEqual(log["release"][0]["lastLines"], ["migrated"])
        self.assertIn("release", log["durations"])
        self.assertTrue(any("release backend: migrated" in s for s in self.h.out))

    def test_a_failing_release_aborts_with_the_old_version_serving_and_its_last_lines_reported(self):
        self.deploy("v1")
        self.h.runner.docker.release_result = (1, "step 1\nError: column exists\n")
        before = dict(self.h.runner.docker.containers)
        with self.assertRaises(bd.Failed) as e:
            self.deploy("v2")
        self.assertEqual(str(e.exception), "the release step of web backend exited 1; nothing was switched; its last line: Error: column exists")
        self.assertEqual(set(self.h.runner.docker.containers), set(before))  # no candidate was started
        self.assertEqual(self.h.switch(), "green")
        last = self.h.log()[-1]
        self.assertEqual((last["result"], last["release"][0]["lastLines"]), ("failed", ["step 1", "Error: column exists"]))

    def test_a_release_past_its_timeout_is_removed_and_fails_the_deploy(self):
        original = self.h.runner.__call__

        def slow(argv, input=None, timeout=600):
            if "--rm" in argv:
                raise bd.Failed("docker --config x timed out after %ds" % timeout)
            return original(argv, input, timeout)

        self.h.runner.__class__ = type("Slow", (type(self.h.runner),), {"__call__": lambda self_, a, input=None, timeout=600: slow(a, input, timeout)})
        with self.assertRaises(bd.Failed) as e:
            self.deploy("v1")
        self.assertIn("the release step of web backend did not finish within 30s", str(e.exception))
        self.assertIn(["docker", "--config", self.h.host().docker_config, "rm", "-f", "berth-web-backend-release-1"], self.h.runner.calls)


class RestartTest(RuntimeTestCase):
    def test_restart_starts_the_live_tag_as_the_idle_color_without_pull_or_release(self):
        self.deploy("v1")
        pulls = len(self.h.runner.docker_calls("pull"))
        bd.cmd_restart(self.h.host(), self.app)
        self.assertEqual(len(self.h.runner.docker_calls("pull")), pulls)
        self.assertEqual(len(self.h.runner.docker.one_offs), 1)
        st = self.h.state()
        self.assertEqual((st["live"]["tag"], st["live"]["color"], st["previous"]["tag"]), ("v1", "blue", "v1"))
        self.assertEqual(self.h.log()[-1]["action"], "restart")

    def test_restart_with_nothing_deployed_is_a_clear_failure(self):
        with self.assertRaises(bd.Failed) as e:
            bd.cmd_restart(self.h.host(), self.app)
        self.assertEqual(str(e.exception), "web has nothing deployed to restart")


class EnvTest(RuntimeTestCase):
    def test_prints_names_sources_and_keyed_digests_never_values(self):
        part = self.app.parts[0]
        env = os.path.join(self.h.root, part.runtime.envFile.lstrip("/"))
        with open(env, "w") as f:
            f.write("API_TOKEN=tok-123\nGREETING=hello\nPORT=80\nSIGNING_KEY_FILE=/run/secrets/SIGNING_KEY\n")
        secrets = os.path.join(self.h.root, part.runtime.secretsDir.lstrip("/"))
        os.makedirs(secrets)
        with open(os.path.join(secrets, "SIGNING_KEY"), "w") as f:
            f.write("-----BEGIN KEY-----\nabc\n-----END KEY-----\n")
        out = io.StringIO()
        host = self.h.host()
        host.out = out
        bd.cmd_env(host, self.app)
        text = out.getvalue()
        self.assertNotIn("tok-123", text)
        self.assertNotIn("hello", text)
        with open(os.path.join(self.h.root, "etc/berth/deploy/env-digest.key"), "rb") as f:
            key = f.read()
        self.assertEqual(os.stat(os.path.join(self.h.root, "etc/berth/deploy/env-digest.key")).st_mode & 0o777, 0o600)
        lines = {tuple(ln.split()[:3]): ln.split()[3] for ln in text.splitlines()}
        self.assertEqual(lines[("frontend", "API_TOKEN", "secret")], "hmac-sha256:" + hmac.new(key, b"tok-123", hashlib.sha256).hexdigest()[:16])
        self.assertIn(("frontend", "GREETING", "clear"), lines)
        self.assertIn(("frontend", "PORT", "berth"), lines)
        self.assertIn(("backend", "PORT", "berth"), lines)
        # The *_FILE name reports the file's content, as a secret-file.
        self.assertEqual(lines[("frontend", "SIGNING_KEY_FILE", "secret-file")],
                         "hmac-sha256:" + hmac.new(key, b"-----BEGIN KEY-----\nabc\n-----END KEY-----\n", hashlib.sha256).hexdigest()[:16])
        # The same key next time: digests are stable on one host.
        out2 = io.StringIO()
        host.out = out2
        bd.cmd_env(host, self.app)
        self.assertEqual(out2.getvalue(), text)


class LogsTest(RuntimeTestCase):
    def test_marks_each_line_with_color_tag_and_part_for_the_live_and_previous_release(self):
        self.deploy("v1")
        self.deploy("v2")
        out = io.StringIO()
        host = self.h.host()
        host.out = out
        bd.cmd_logs(host, self.app, bd.parse_log_options(self.app, ["--tail", "3", "--part", "frontend"], "u"))
        text = out.getvalue().splitlines()
        self.assertEqual(len(text), 6)
        self.assertTrue(all(t.startswith(("[blue v2 frontend] ", "[green v1 frontend] ")) for t in text))
        calls = self.h.runner.docker_calls("logs")
        self.assertEqual(calls[0][:4], ["logs", "--timestamps", "--tail", "3"])

    def test_follow_streams_the_live_release_only_with_docker_logs_follow_for_a_bounded_time(self):
        self.deploy("v1")
        self.deploy("v2")
        seen = []
        host = self.h.host()
        host.stream = lambda argvs, prefixes, seconds: seen.append((argvs, prefixes, seconds))
        bd.cmd_logs(host, self.app, bd.parse_log_options(self.app, ["--follow", "--tail", "5", "--since", "10m"], "u"))
        argvs, prefixes, seconds = seen[0]
        self.assertEqual(prefixes, ["[blue v2 frontend] ", "[blue v2 backend] "])
        self.assertEqual([a[3:9] for a in argvs], [["logs", "--timestamps", "--tail", "5", "--since", "10m"]] * 2)
        self.assertTrue(all(a[-2] == "--follow" and "-blue-" in a[-1] for a in argvs))
        self.assertEqual(seconds, bd.LOG_FOLLOW_SECONDS)

    def test_stream_prints_every_line_of_every_program_with_its_prefix_and_stops_at_its_deadline(self):
        # Real processes: three lines at once (one read, several lines), a partial last line, and one
        # program that would run for a minute; the stream ends at its deadline and kills it.
        out = io.StringIO()
        host = self.h.host()
        host.out = out
        started = time.monotonic()
        host.stream([["sh", "-c", "printf 'a\\nb\\nc\\n'; sleep 60"], ["sh", "-c", "printf 'x\\npartial'"]], ["[one] ", "[two] "], 1.5)
        elapsed = time.monotonic() - started
        lines = out.getvalue().splitlines()
        self.assertEqual(sorted(lines[:-1]), ["[one] a", "[one] b", "[one] c", "[two] partial", "[two] x"])
        self.assertEqual(lines[-1], "berth-deploy: --follow ends after 1s; run it again for more")
        self.assertLess(elapsed, 10)

    def test_no_deploy_no_logs(self):
        with self.assertRaises(bd.Failed):
            bd.cmd_logs(self.h.host(), self.app, bd.parse_log_options(self.app, [], "u"))


if __name__ == "__main__":
    unittest.main()
