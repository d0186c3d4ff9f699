"""App volumes (directories made with their owner and mode, mounted by every container, never deleted)
and scheduled jobs (`job APP NAME`: the live tag as a one-off container under a lock, killed at its
timeout, one deploy-log line per run, its exit code returned, listed by `status`)."""
import copy
import fcntl
import json
import os
import stat
import unittest

from fakehost import Harness, bd, golden_apps

JOB = "nightly-cleanup"
CONTAINER = "berth-web-job-" + JOB


class JobsTestCase(unittest.TestCase):
    apps = None

    def setUp(self):
        self.h = Harness(copy.deepcopy(self.apps) if self.apps else None)
        self.app = self.h.app()
        self.dir = os.path.join(self.h.root, "srv/berth/volumes/web/data")

    def tearDown(self):
        self.h.cleanup()

    def deploy(self, tag):
        bd.cmd_deploy(self.h.host(), self.app, tag)

    def job(self, name=JOB):
        return bd.cmd_job(self.h.host(), self.app, name)

    def runs(self):
        return [c[3:] for c in self.h.runner.calls if c[0] == "docker" and c[3] == "run"]

    def job_runs(self):
        return [r for r in self.runs() if "--rm" in r and r[r.index("--name") + 1] == CONTAINER]


class VolumeTest(JobsTestCase):
    def test_the_rendered_file_declares_the_dev_volume_and_job(self):
        backend = self.app.parts[1]
        self.assertEqual(backend.appVolumes, (bd.AppVolume("data", "/data", "/srv/berth/volumes/web/data", "1000:1000", "0750"),))
        self.assertEqual(backend.jobs, (bd.Job(JOB, "*-*-* 03:00:00", ("node", "/app/cleanup.js"), 600),))

    def test_made_with_owner_and_mode_before_the_first_container_and_mounted_by_both_colors(self):
        self.deploy("v1")
        st = os.stat(self.dir)
        self.assertTrue(stat.S_ISDIR(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o750)
        self.assertEqual(self.h.chowns, [(self.dir, 1000, 1000)])
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(self.dir)).st_mode), 0o755)
        self.deploy("v2")
        backends = [r for r in self.runs() if "--rm" not in r and "berth.part=backend" in r]
        self.assertEqual(len(backends), 2)
        colors = set()
        for r in backends:
            self.assertIn("%s:/data" % self.dir, r)
            colors.add(r[r.index("--label", r.index("berth.part=backend")) + 1])
        self.assertEqual(colors, {"berth.color=green", "berth.color=blue"})
        fronts = [r for r in self.runs() if "berth.part=frontend" in r]
        self.assertFalse(any("%s:/data" % self.dir in r for r in fronts))

    def test_never_deleted_or_emptied_by_deploys_and_rollbacks(self):
        self.deploy("v1")
        with open(os.path.join(self.dir, "app.db"), "w") as f:
            f.write("rows")
        self.deploy("v2")
        bd.cmd_rollback(self.h.host(), self.app)
        with open(os.path.join(self.dir, "app.db")) as f:
            self.assertEqual(f.read(), "rows")

    def test_an_existing_directory_gets_the_declared_owner_and_mode_back_not_its_content(self):
        os.makedirs(self.dir, mode=0o777)
        os.chmod(self.dir, 0o777)
        self.deploy("v1")
        self.assertEqual(stat.S_IMODE(os.stat(self.dir).st_mode), 0o750)
        self.assertTrue(any("volume web/data: reset /srv/berth/volumes/web/data" in s for s in self.h.out))

    def test_a_file_where_the_directory_belongs_fails_the_deploy_before_any_container_starts(self):
        os.makedirs(os.path.dirname(self.dir))
        with open(self.dir, "w") as f:
            f.write("x")
        with self.assertRaises(bd.Failed) as e:
            self.deploy("v1")
        self.assertIn("volume web/data: /srv/berth/volumes/web/data is not a directory", str(e.exception))
        self.assertEqual(self.runs(), [])

    def test_with_a_data_volume_nothing_is_made_until_it_is_mounted(self):
        apps = golden_apps()
        apps["dataVolumeMount"] = "/srv/berth"
        self.h.cleanup()
        self.h = Harness(apps)
        self.app = self.h.app()
        self.dir = os.path.join(self.h.root, "srv/berth/volumes/web/data")
        mounted = []
        host = self.h.host()
        host.is_mount = lambda path: path in mounted
        with self.assertRaises(bd.Failed) as e:
            bd.cmd_deploy(host, self.app, "v1")
        self.assertEqual(str(e.exception), "the data volume is not mounted at /srv/berth, so volume web/data would land on the "
                         "root disk; check `systemctl status berth-data-volume` and run the command again")
        self.assertFalse(os.path.exists(self.dir))
        self.assertEqual(self.runs(), [])
        mounted.append(os.path.join(self.h.root, "srv/berth"))
        bd.cmd_deploy(host, self.app, "v1")
        self.assertTrue(os.path.isdir(self.dir))

    def test_a_bad_volume_in_the_apps_file_is_refused_naming_it(self):
        apps = golden_apps()
        apps["apps"][0]["parts"][1]["appVolumes"][0]["hostDir"] = "/srv/berth/volumes/web/../../etc"
        with self.assertRaises(bd.Refused) as e:
            bd.parse_config(apps)
        self.assertIn("apps[0].parts[1].appVolumes[0]", str(e.exception))


class JobTest(JobsTestCase):
    def test_a_never_deployed_app_runs_nothing_logs_it_and_exits_0(self):
        self.assertEqual(self.job(), 0)
        self.assertEqual(self.job_runs(), [])
        last = self.h.log()[-1]
        self.assertEqual((last["action"], last["job"], last["result"], last["reason"]), ("job", JOB, "skipped", "never deployed"))

    def test_runs_the_live_tag_with_the_parts_env_volumes_and_log_driver_argv_replacing_the_entrypoint(self):
        self.deploy("v1")
        self.deploy("v2")
        self.h.runner.docker.job_results[CONTAINER] = (0, "removed 3 sessions\nok\n")
        self.assertEqual(self.job(), 0)
        (run,) = self.job_runs()
        self.assertEqual(run[run.index("--entrypoint"):], ["--entrypoint", "node", "127.0.0.1:5000/web-backend:v2", "/app/cleanup.js"])
        self.assertIn(os.path.join(self.h.root, "etc/berth/apps/web/backend.env"), run)
        self.assertIn("%s:/data" % self.dir, run)
        self.assertEqual(run[run.index("--network") + 1], "berth-apps")
        i = run.index("--log-driver")
        self.assertEqual(tuple(run[i:i + len(self.app.parts[1].logArgs)]), self.app.parts[1].logArgs)  # where the app logs (CloudWatch)
        # Not a release: a deploy's clean-up removes every berth.app container that is none.
        self.assertNotIn("berth.app=web", run)
        self.assertIn("berth.job-app=web", run)
        self.assertIn("removed 3 sessions", self.h.out)
        last = self.h.log()[-1]
        self.assertEqual({k: last[k] for k in ("action", "app", "job", "tag", "exitCode", "result", "lastLines")},
                         {"action": "job", "app": "web", "job": JOB, "tag": "v2", "exitCode": 0, "result": "ok",
                          "lastLines": ["removed 3 sessions", "ok"]})
        self.assertIn("start", last)
        self.assertIn("durationSeconds", last)

    def test_returns_the_jobs_exit_code_and_status_lists_the_last_run(self):
        self.deploy("v1")
        self.h.runner.docker.job_results[CONTAINER] = (3, "boom\n")
        self.assertEqual(self.job(), 3)
        self.assertEqual(self.h.log()[-1]["result"], "failed")
        self.assertIn("boom", self.h.out)
        del self.h.out[:]
        bd.cmd_status(self.h.host(), self.app, True)
        out = json.loads("".join(self.h.out))
        (job,) = out["jobs"]
        self.assertEqual((job["name"], job["part"], job["schedule"]), (JOB, "backend", "*-*-* 03:00:00"))
        self.assertEqual((job["lastRun"]["exitCode"], job["lastRun"]["tag"], job["lastRun"]["result"]), (3, "v1", "failed"))
        self.assertNotIn("lastLines", job["lastRun"])  # output stays in the root-only deploy log
        del self.h.out[:]
        bd.cmd_status(self.h.host(), self.app, False)
        text = "".join(self.h.out)
        self.assertRegex(text, r"\n  job nightly-cleanup \(backend, \*-\*-\* 03:00:00\): last run \S+: v1 failed, exit 3 in [0-9.]+s\n")

    def test_killed_at_its_timeout(self):
        self.deploy("v1")
        self.h.runner.docker.job_results[CONTAINER] = "timeout"
        self.assertEqual(self.job(), bd.JOB_TIMEOUT_EXIT)
        self.assertIn(["rm", "-f", CONTAINER], self.h.runner.docker_calls("rm"))
        self.assertEqual(self.h.log()[-1]["result"], "timeout")
        self.assertTrue(any("killed after 600s" in s for s in self.h.out))

    def test_a_second_trigger_while_one_runs_starts_nothing(self):
        self.deploy("v1")
        lock = os.path.join(self.h.root, self.h.cfg.stateDir.lstrip("/"), "locks", "web.job-%s.lock" % JOB)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT)
        os.write(fd, b"job web/nightly-cleanup by timer, pid 1")
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            with self.assertRaises(bd.Failed) as e:
                self.job()
        finally:
            os.close(fd)
        self.assertEqual(str(e.exception), "job web/nightly-cleanup is already running (job web/nightly-cleanup by timer, pid 1); "
                                           "this trigger did not start a second run")
        self.assertEqual(self.job_runs(), [])
        self.assertEqual(self.h.log()[-1]["result"], "busy")
        self.assertEqual(self.job(), 0)  # the lock is free again

    def test_a_run_left_by_a_killed_trigger_still_counts_as_running(self):
        self.deploy("v1")
        self.h.runner.docker.containers[CONTAINER] = {"labels": {}, "state": "running", "ip": "", "image": "x", "restart": "no", "pid": 9}
        with self.assertRaises(bd.Failed) as e:
            self.job()
        self.assertIn("container %s, started by a trigger that is gone" % CONTAINER, str(e.exception))
        self.assertEqual(self.job_runs(), [])
        self.h.runner.docker.containers[CONTAINER]["state"] = "exited"
        self.assertEqual(self.job(), 0)
        self.assertIn(["rm", "-f", CONTAINER], self.h.runner.docker_calls("rm"))

    def test_only_declared_jobs_and_no_argv_from_the_caller(self):
        cfg = self.h.cfg
        self.assertEqual(bd.validate(cfg, ["job", "web", JOB]), ["job", "web", JOB])
        for args, message in [(["job", "web", "other"], "app web has no job 'other'; its jobs: nightly-cleanup"),
                              (["job", "web", JOB, "rm", "-rf"], "usage: job APP NAME"),
                              (["job", "web"], "usage: job APP NAME")]:
            with self.subTest(args=args), self.assertRaises(bd.Refused) as e:
                bd.validate(cfg, args)
            self.assertIn(message, str(e.exception))
        os.environ["SSH_ORIGINAL_COMMAND"] = "job web '%s;id'" % JOB
        try:
            with self.assertRaises(bd.Refused):
                bd.from_ssh(cfg)
        finally:
            del os.environ["SSH_ORIGINAL_COMMAND"]

    def test_dispatch_returns_the_exit_code(self):
        self.deploy("v1")
        self.h.runner.docker.job_results[CONTAINER] = (7, "")
        self.assertEqual(bd.dispatch(self.h.host(), ["job", "web", JOB]), 7)


if __name__ == "__main__":
    unittest.main()
