"""Deploy, rollback, status, restore and their failure paths, against the fake host."""
import fcntl
import io
import json
import os
import unittest

from fakehost import Harness, bd


class DeployTestCase(unittest.TestCase):
    def setUp(self):
        self.h = Harness()
        self.host = self.h.host()
        self.app = self.h.app()

    def tearDown(self):
        self.h.cleanup()

    def deploy(self, tag):
        bd.cmd_deploy(self.h.host(), self.app, tag)

    def status(self):
        import io
        out = io.StringIO()
        host = self.h.host()
        host.out = out
        bd.cmd_status(host, self.app, True)
        return json.loads(out.getvalue())

    def containers(self):
        return {n: (c["labels"]["berth.tag"], c["labels"]["berth.color"], c["state"]) for n, c in self.h.runner.docker.containers.items()}


class DeployTest(DeployTestCase):
    def test_first_deploy_sets_up_network_and_switch_then_pulls_starts_checks_and_switches(self):
        self.deploy("v1")
        verbs = [c[3] + " " + c[4] if c[0] == "docker" else c[0] for c in self.h.runner.calls if c[0] in ("docker", "iptables-restore")]
        # Network first, then the chains, then pull both parts before starting either.
        self.assertEqual(verbs[:5], ["network inspect", "network create", "ps -a", "iptables-restore", "iptables-restore"])
        pulls = [i for i, v in enumerate(verbs) if v.startswith("pull")]
        runs = [i for i, v in enumerate(verbs) if v.startswith("run")]
        self.assertEqual(len(pulls), 2)
        self.assertEqual(len(runs), 2)
        self.assertLess(max(pulls), min(runs))
        run = self.h.runner.docker_calls("run")[0]
        self.assertIn("--ip", run)
        self.assertEqual(run[run.index("--ip") + 1], "172.29.11.186")  # green: the dev stack starts blue
        self.assertEqual(run[run.index("--network") + 1], "berth-apps")
        self.assertIn("berth.seq=1", run)
        self.assertEqual(self.h.switch(), "green")
        st = self.h.state()
        self.assertEqual((st["live"]["tag"], st["live"]["color"], st["live"]["seq"], st["previous"]), ("v1", "green", 1, None))
        self.assertFalse(os.path.exists(self.h.journal_path()))
        self.assertEqual([(l["result"], l["tag"]) for l in self.h.log()], [("started", "v1"), ("ok", "v1")])
        self.assertEqual({c["restart"] for c in self.h.runner.docker.containers.values()}, {"unless-stopped"})
        # route_localnet only on Berth's bridge.
        self.assertIn(["sysctl", "-q", "-w", "net.ipv4.conf.berth-apps.route_localnet=1"], self.h.runner.calls)

    def test_the_switch_dnats_each_live_port_to_the_colors_container_address(self):
        self.deploy("v1")
        rules = self.h.runner.iptables.tables["nat"]
        base, blue, green = bd.chain_names(self.h.cfg, self.app)
        self.assertIn('-d 127.0.0.1/32 -p tcp --dport 3000 -m comment --comment "berth web frontend green" -j DNAT --to-destination 172.29.11.186:80', rules[green])
        # Blue runs nothing of ours yet: its loopback port, until a release runs there.
        self.assertIn('-d 127.0.0.1/32 -p tcp --dport 3000 -m comment --comment "berth web frontend blue" -j DNAT --to-destination 127.0.0.1:3001', rules[blue])
        self.assertIn("-s 127.0.0.0/8 -o berth-apps", rules["BERTH-SNAT"][0])
        self.assertIn("-i berth-apps -d 127.0.0.0/8", self.h.runner.iptables.tables["raw"]["BERTH-GUARD"][0])
        self.assertIn("-d 127.0.0.1/32 -p tcp -j BERTH", rules["OUTPUT"])

    def test_after_stopping_the_old_color_its_connection_tracking_entries_are_dropped(self):
        self.deploy("v1")
        self.deploy("v2")  # green (v1) stops
        calls = [c for c in self.h.runner.calls if c[0] == "conntrack"]
        self.assertEqual(calls, [["conntrack", "-D", "-p", "tcp", "--reply-src", "172.29.11.186"],
                                 ["conntrack", "-D", "-p", "tcp", "--reply-src", "172.29.31.146"]])
        stop = max(i for i, c in enumerate(self.h.runner.calls) if c[0] == "docker" and c[3] == "stop")
        self.assertGreater(self.h.runner.calls.index(calls[0]), stop)

    def test_second_and_third_deploys_keep_exactly_the_live_and_the_previous_release(self):
        self.deploy("v1")
        self.deploy("v2")
        self.assertEqual(self.h.switch(), "blue")
        st = self.h.state()
        self.assertEqual((st["live"]["tag"], st["previous"]["tag"]), ("v2", "v1"))
        self.assertEqual(sorted(set(self.containers().values())), [("v1", "green", "exited"), ("v2", "blue", "running")])
        self.deploy("v3")
        self.assertEqual(sorted(set(self.containers().values())), [("v2", "blue", "exited"), ("v3", "green", "running")])
        self.assertEqual(self.status()["rollback"], {"available": True, "to": "v2"})

    def test_status_in_words_names_what_serves_and_the_rollback_target(self):
        self.deploy("v1")
        self.deploy("v2")
        out = io.StringIO()
        host = self.h.host()
        host.out = out
        bd.cmd_status(host, self.app, False)
        lines = out.getvalue().splitlines()
        self.assertRegex(lines[0], r"^web: v2 live on blue since \d{4}-")
        self.assertIn("  rollback target: v1 on green", lines)
        self.assertIn("  maintenance: off", lines)

    def test_a_refused_pull_changes_nothing_and_keeps_the_rollback_target(self):
        self.deploy("v1")
        self.deploy("v2")
        before = self.containers()
        with self.assertRaises(bd.Failed) as e:
            self.deploy("v9")
        self.assertIn("pull 127.0.0.1:5000/web-frontend:v9 failed: Error response from daemon: manifest for", str(e.exception))
        self.assertEqual(self.containers(), before)
        self.assertEqual(self.h.runner.docker_calls("run")[-1][-1].rsplit(":", 1)[1], "v2")  # nothing started for v9
        self.assertEqual(self.h.switch(), "blue")
        self.assertFalse(os.path.exists(self.h.journal_path()))
        self.assertEqual(self.h.log()[-1]["result"], "failed")
        bd.cmd_rollback(self.h.host(), self.app)
        self.assertEqual((self.h.switch(), self.h.state()["live"]["tag"]), ("green", "v1"))

    def test_an_unhealthy_candidate_fails_at_its_deadline_and_is_removed(self):
        self.deploy("v1")
        self.deploy("v2")
        t0 = self.h.clock.t
        with self.assertRaises(bd.Failed) as e:
            self.deploy("bad")
        self.assertIn("did not become healthy within 60s: GET /: HTTP 500", str(e.exception))
        self.assertGreaterEqual(self.h.clock.t - t0, 60)
        self.assertNotIn("bad", {v[0] for v in self.containers().values()})
        self.assertEqual(self.status()["rollback"], {"available": True, "to": "v1"})

    def test_a_candidate_that_exits_fails_at_once_with_its_exit_code(self):
        self.deploy("v1")
        with self.assertRaises(bd.Failed) as e:
            self.deploy("crash")
        self.assertRegex(str(e.exception), r"web frontend failed its health check: container .* exited \(exit code 3\)")
        self.assertEqual(self.h.switch(), "green")

    def test_a_drain_that_times_out_still_switches_and_says_so_in_the_log(self):
        self.deploy("v1")
        self.h.runner.connections = lambda pid, port: 2
        self.deploy("v2")
        last = self.h.log()[-1]
        self.assertEqual((last["result"], last["drainTimedOut"]), ("ok", 4))
        self.assertGreaterEqual(last["durations"]["drain"], 30)

    def test_a_held_queue_ticket_makes_the_next_deploy_wait_then_give_up_naming_the_holder(self):
        self.deploy("v1")
        qdir = os.path.join(self.h.root, "var/lib/berth/deploy/queue/web")
        ticket = os.path.join(qdir, "000000000000")
        fd = os.open(ticket, os.O_RDWR | os.O_CREAT)
        os.write(fd, b"deploy web v7 by ci, pid 1, since now\n")
        fcntl.flock(fd, fcntl.LOCK_EX)  # another open file description: conflicts like another process
        try:
            with self.assertRaises(bd.Failed) as e:
                self.deploy("v2")
            self.assertEqual(str(e.exception), "another deploy of this app is running (deploy web v7 by ci, pid 1, since now); waited 300s, giving up")
            self.assertTrue(any("waiting for deploy web v7 by ci" in s for s in self.h.out))
        finally:
            os.close(fd)
        # Its holder is gone (the lock died with it): the next deploy removes the dead ticket and runs.
        self.deploy("v2")
        self.assertFalse(os.path.exists(ticket))
        self.assertEqual(self.h.state()["live"]["tag"], "v2")

    def test_an_unwritable_journal_refuses_before_anything_changes(self):
        self.deploy("v1")
        apps_dir = os.path.join(self.h.root, "var/lib/berth/deploy/apps")
        os.rename(apps_dir, apps_dir + ".keep")
        open(apps_dir, "w").close()  # a file where the directory was: every write there fails
        try:
            with self.assertRaises(bd.Failed) as e:
                self.deploy("v2")
            self.assertRegex(str(e.exception), r"^cannot (read the state|write the deploy journal) /var/lib/berth/deploy/apps/web")
            self.assertEqual(self.h.switch(), "green")
            self.assertEqual(self.h.runner.docker_calls("pull")[-1][-1].rsplit(":", 1)[1], "v1")
        finally:
            os.unlink(apps_dir)
            os.rename(apps_dir + ".keep", apps_dir)

    def test_an_unwritable_log_is_a_warning_and_the_deploy_succeeds(self):
        log = os.path.join(self.h.root, "var/log/berth/deploy.log")
        os.makedirs(log)  # a directory where the log file goes
        self.deploy("v1")
        self.assertEqual(self.h.switch(), "green")
        self.assertTrue(any("warning: could not write the deploy log /var/log/berth/deploy.log (Is a directory)" in s for s in self.h.err))


class CrashRecoveryTest(DeployTestCase):
    """A deploy killed at a step leaves files and containers; the next command must understand them."""

    def interrupted_deploy(self, tag, stop_after_step):
        """Runs a deploy that 'dies' when its journal reaches the step (an exception out of write_journal)."""
        original = bd.write_journal

        class Killed(BaseException):
            pass

        def write_and_die(host, app, intent, step):
            original(host, app, intent, step)
            if step == stop_after_step:
                raise Killed()

        bd.write_journal = write_and_die
        try:
            with self.assertRaises(Killed):
                self.deploy(tag)
        finally:
            bd.write_journal = original

    def test_killed_after_the_switch_the_state_is_repaired_from_the_switch_and_the_journal(self):
        self.deploy("v1")
        self.deploy("v2")
        self.interrupted_deploy("v3", "switch")
        # The iptables call after the "switch" record did not run; simulate that it did (the worst case).
        base, blue, green = bd.chain_names(self.h.cfg, self.app)
        self.h.runner.iptables.tables["nat"][base] = ["-j " + green]
        self.assertEqual(self.h.state()["live"]["tag"], "v2")  # stale
        s = self.status()
        self.assertEqual((s["live"]["tag"], s["switch"], s["previous"]["tag"]), ("v3", "green", "v2"))
        self.assertIn("state repaired from the switch", " ".join(s["repaired"]))
        # The next deploy never touches what the switch points at: v2 (old live, still running) is drained
        # and kept as the rollback target, v1 goes, v4 goes live.
        self.deploy("v4")
        self.assertEqual(sorted(set(self.containers().values())), [("v3", "green", "exited"), ("v4", "blue", "running")])
        self.assertTrue(any("state repaired from the switch" in s for s in self.h.out))

    def test_restore_after_a_reboot_follows_the_journal_not_the_stale_state(self):
        self.deploy("v1")
        self.interrupted_deploy("v2", "switched")
        self.assertEqual(self.h.state()["live"]["color"], "green")
        # A reboot: the kernel's rules are gone.
        self.h.runner.iptables = type(self.h.runner.iptables)()
        bd.restore(self.h.host())
        self.assertEqual(self.h.switch(), "blue")

    def test_restore_follows_the_journal_of_a_deploy_killed_while_stopping_with_a_stale_state(self):
        self.deploy("v1")
        self.interrupted_deploy("v2", "stop")
        state = os.path.join(self.h.root, "var/lib/berth/deploy/apps/web.json")
        with open(state, "w") as f:  # as if the state write after the switch had failed
            json.dump({"live": {"color": "green", "tag": "v1", "seq": 1}, "previous": None, "seq": 1}, f)
        self.h.runner.iptables = type(self.h.runner.iptables)()  # a reboot
        bd.restore(self.h.host())
        self.assertEqual(self.h.switch(), "blue")

    def test_restore_leaves_a_selector_that_exists_alone(self):
        self.deploy("v1")
        base, blue, green = bd.chain_names(self.h.cfg, self.app)
        with open(os.path.join(self.h.root, "var/lib/berth/deploy/apps/web.json"), "w") as f:
            json.dump({"live": {"color": "blue", "tag": "v0", "seq": 99}}, f)
        bd.restore(self.h.host())
        self.assertEqual(self.h.switch(), "green")

    def test_killed_during_the_health_check_the_candidate_goes_and_the_rollback_target_stays(self):
        self.deploy("v1")
        self.deploy("v2")
        self.interrupted_deploy("v3", "health")
        self.assertIn(("v3", "green", "running"), self.containers().values())  # the abandoned candidate
        self.assertEqual(self.status()["rollback"], {"available": True, "to": "v1"})
        bd.cmd_rollback(self.h.host(), self.app)
        self.assertEqual((self.h.switch(), self.h.state()["live"]["tag"]), ("green", "v1"))
        self.assertNotIn("v3", {v[0] for v in self.containers().values()})

    def test_an_unreadable_state_file_is_rebuilt_from_the_switch_and_the_containers(self):
        self.deploy("v1")
        self.deploy("v2")
        with open(os.path.join(self.h.root, "var/lib/berth/deploy/apps/web.json"), "w") as f:
            f.write("{not json")
        s = self.status()
        self.assertEqual((s["live"]["tag"], s["previous"]["tag"]), ("v2", "v1"))
        self.deploy("v3")
        self.assertEqual(self.h.state()["previous"]["tag"], "v2")

    def test_rollback_without_a_kept_previous_release_is_a_clear_failure(self):
        self.deploy("v1")
        with self.assertRaises(bd.Failed) as e:
            bd.cmd_rollback(self.h.host(), self.app)
        self.assertEqual(str(e.exception), "web has no rollback target (no previous release whose containers are all kept)")
        self.assertEqual(self.status()["rollback"], {"available": False, "to": None})


class UpgradeTest(DeployTestCase):
    """A host whose containers predate numbered releases and Berth's network (apps file version 1)."""

    def test_the_live_legacy_color_keeps_its_loopback_port_until_a_deploy_replaces_it(self):
        d = self.h.runner.docker
        for role, port in (("frontend", 3002), ("backend", 8082)):
            d.containers["berth-web-%s-green" % role] = {"labels": {"berth.app": "web", "berth.part": role, "berth.color": "green", "berth.tag": "old"},
                                                         "state": "running", "ip": "172.17.0.%d" % (port % 100), "image": "old", "restart": "unless-stopped", "pid": 77}
        state_dir = os.path.join(self.h.root, "var/lib/berth/deploy/apps")
        os.makedirs(state_dir)
        with open(os.path.join(state_dir, "web.json"), "w") as f:
            json.dump({"live": {"color": "green", "tag": "old"}, "previous": None}, f)
        bd.restore(self.h.host())
        base, blue, green = bd.chain_names(self.h.cfg, self.app)
        nat = self.h.runner.iptables.tables["nat"]
        self.assertEqual(self.h.switch(), "green")
        self.assertIn("--to-destination 127.0.0.1:3002", nat[green][0])  # still served the old way
        self.assertIn("--to-destination 127.0.0.1:3001", nat[blue][0])  # nothing of ours runs there yet
        self.assertEqual(self.status()["live"]["tag"], "old")
        self.deploy("v1")
        self.assertEqual(self.h.switch(), "blue")
        self.assertIn("--to-destination 172.29.11.185:80", nat[blue][0])
        self.assertEqual(sorted(set(self.containers().values())), [("old", "green", "exited"), ("v1", "blue", "running")])
        # The old release is not a rollback target (its containers are not on Berth's network) ...
        self.assertEqual(self.status()["rollback"], {"available": False, "to": None})
        # ... and the next deploy puts green on its network address.
        self.deploy("v2")
        self.assertIn("--to-destination 172.29.11.186:80", nat[green][0])
        self.assertEqual(sorted(set(self.containers().values())), [("v1", "blue", "exited"), ("v2", "green", "running")])


if __name__ == "__main__":
    unittest.main()
