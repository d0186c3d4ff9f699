"""The apps file and the arguments: one typed load, one command table, patterns from the TypeScript side."""
import copy
import unittest

from fakehost import bd, golden_apps


class AppsFileTest(unittest.TestCase):
    def test_the_rendered_dev_file_loads_into_typed_structures(self):
        cfg = bd.parse_config(golden_apps())
        self.assertEqual([a.name for a in cfg.apps], ["web"])
        web = cfg.apps[0]
        self.assertEqual([p.role for p in web.parts], ["frontend", "backend"])
        front = web.parts[0]
        self.assertIsInstance(front.health, bd.Health)
        self.assertEqual((front.livePort, front.port("blue"), front.port("green")), (3000, 3001, 3002))
        self.assertEqual((front.address("blue"), front.address("green")), ("172.29.11.185", "172.29.11.186"))
        self.assertEqual(cfg.network, bd.Network("berth-apps", "172.29.0.0/16", "172.29.0.1", "berth-apps"))
        self.assertEqual(cfg.registryTls, bd.RegistryTls("/etc/berth/tls/server.crt"))

    def test_each_missing_or_mistyped_field_is_refused_by_name(self):
        cases = [
            (lambda d: d.pop("chain"), "apps.json.chain is missing"),
            (lambda d: d["apps"][0]["parts"][0].pop("livePort"), "apps[0].parts[0].livePort is missing"),
            (lambda d: d["apps"][0]["parts"][1]["health"].__setitem__("successes", "2"), "apps[0].parts[1].health.successes has the wrong type"),
            (lambda d: d["apps"][0]["parts"][0].__setitem__("bluePort", 70000), "apps[0].parts[0].bluePort is not a port"),
            (lambda d: d["apps"][0].__setitem__("initialColor", "red"), "apps[0].initialColor must be blue or green"),
            (lambda d: d["apps"][0].__setitem__("name", "Web"), "apps[0].name 'Web' does not match"),
            (lambda d: d.__setitem__("version", 1), "unsupported version 1"),
            (lambda d: d.__setitem__("userCommands", ["deploy"]), "userCommands deploy differ from this program's"),
            (lambda d: d.__setitem__("lockWaitSeconds", True), "lockWaitSeconds has the wrong type"),
        ]
        for change, message in cases:
            with self.subTest(message=message):
                d = copy.deepcopy(golden_apps())
                change(d)
                with self.assertRaises(bd.Refused) as e:
                    bd.parse_config(d)
                self.assertIn(message, str(e.exception))


class CommandTableTest(unittest.TestCase):
    def setUp(self):
        self.cfg = bd.parse_config(golden_apps())

    def test_one_table_drives_usage_the_ssh_allow_list_and_the_sudoers_rule(self):
        self.assertEqual(bd.USER_COMMANDS, ("deploy", "rollback", "restart", "status", "logs", "env", "maintenance", "job"))
        # The TypeScript side renders the same list into apps.json (and from it the sudoers rule).
        self.assertEqual(tuple(golden_apps()["userCommands"]), bd.USER_COMMANDS)
        for c in bd.COMMANDS:
            self.assertEqual(c.help in bd.USAGE, c.user, c.name)

    def test_dispatch_knows_every_command_of_the_table(self):
        seen = []
        sample = {"app": "web", "tag": "v1", "onoff": "on", "job": "nightly-cleanup"}
        handlers = ("cmd_deploy", "cmd_rollback", "cmd_restart", "cmd_status", "cmd_logs", "cmd_env", "cmd_maintenance",
                    "cmd_job", "restore", "retention", "teardown")
        originals = {fn: getattr(bd, fn) for fn in handlers}
        for fn in handlers:
            setattr(bd, fn, lambda *a, _fn=fn: seen.append(_fn))
        try:
            for c in bd.COMMANDS:
                args = [c.name] + [sample[k] for k in c.args if k in sample]
                bd.dispatch(type("H", (), {"cfg": self.cfg})(), bd.validate(self.cfg, args))
        finally:
            for fn, f in originals.items():
                setattr(bd, fn, f)
        self.assertEqual(len(seen), len(bd.COMMANDS))
        self.assertEqual(len(set(seen)), len(bd.COMMANDS))

    def test_logs_options_are_validated_and_bounded(self):
        web = self.cfg.apps[0]
        self.assertEqual(bd.parse_log_options(web, [], "u"), bd.LogOptions(("frontend", "backend"), None, 200, False))
        self.assertEqual(bd.parse_log_options(web, ["--part", "backend", "--since", "10m", "--tail", "50", "--follow"], "u"),
                         bd.LogOptions(("backend",), "10m", 50, True))
        self.assertEqual(bd.parse_log_options(web, ["--since", "2026-12-01T10:00:00Z"], "u").since, "2026-12-01T10:00:00Z")
        for words, message in [(["--part", "db"], "--part 'db'"), (["--tail", "5001"], "--tail '5001'"), (["--tail", "-1"], "--tail '-1'"),
                               (["--since", "yesterday"], "--since 'yesterday'"), (["--since", "$(id)"], "--since"), (["--tail"], "usage: u"),
                               (["--all"], "usage: u")]:
            with self.subTest(words=words):
                with self.assertRaises(bd.Refused) as e:
                    bd.parse_log_options(web, words, "u")
                self.assertIn(message, str(e.exception))
        self.assertEqual(bd.validate(self.cfg, ["logs", "web", "--tail", "5"]), ["logs", "web", "--tail", "5"])

    def test_arguments_are_validated_against_the_rendered_patterns(self):
        ok = [["deploy", "web", "v1.2-rc_3"], ["rollback", "web"], ["status", "web"], ["status", "web", "--json"],
              ["maintenance", "web", "off"], ["restore"], ["retention"]]
        for args in ok:
            with self.subTest(args=args):
                self.assertEqual(bd.validate(self.cfg, args), args)
        refused = [
            ([], "no command given"),
            (["shell"], "unknown command 'shell'"),
            (["deploy", "web"], "usage: deploy APP TAG"),
            (["deploy", "web", "v1;id"], "invalid tag 'v1;id'"),
            (["deploy", "web", ".hidden"], "invalid tag '.hidden'"),
            (["deploy", "web", "x" * 129], "invalid tag"),
            (["deploy", "Web", "v1"], "invalid app name 'Web'"),
            (["deploy", "shop", "v1"], "unknown app 'shop'; this host serves: web"),
            (["status", "web", "--yaml"], "usage: status APP [--json]"),
            (["maintenance", "web", "maybe"], "usage: maintenance APP on|off"),
            (["restore", "now"], "restore takes no arguments"),
        ]
        for args, message in refused:
            with self.subTest(args=args):
                with self.assertRaises(bd.Refused) as e:
                    bd.validate(self.cfg, args)
                self.assertIn(message, str(e.exception))

    def test_the_ssh_forced_command_allows_user_commands_only(self):
        import os
        for raw, message in [(None, "not a shell"), ("id", "command 'id' is not allowed"), ("restore", "command 'restore' is not allowed"),
                             ("deploy web 'v1", "could not parse")]:
            with self.subTest(raw=raw):
                if raw is None:
                    os.environ.pop("SSH_ORIGINAL_COMMAND", None)
                else:
                    os.environ["SSH_ORIGINAL_COMMAND"] = raw
                try:
                    with self.assertRaises(bd.Refused) as e:
                        bd.from_ssh(self.cfg)
                    self.assertIn(message, str(e.exception))
                finally:
                    os.environ.pop("SSH_ORIGINAL_COMMAND", None)
        os.environ["SSH_ORIGINAL_COMMAND"] = "berth-deploy deploy web v2"
        try:
            self.assertEqual(bd.from_ssh(self.cfg), ["deploy", "web", "v2"])
        finally:
            os.environ.pop("SSH_ORIGINAL_COMMAND", None)


class ExitConventionTest(unittest.TestCase):
    def run_main_with(self, exc):
        import io
        original = bd.main
        bd.main = lambda argv: (_ for _ in ()).throw(exc)
        err = io.StringIO()
        try:
            return bd.run_main([], err=err), err.getvalue()
        finally:
            bd.main = original

    def test_refused_failed_and_unexpected_errors_are_one_line_with_their_exit_codes(self):
        self.assertEqual(self.run_main_with(bd.Refused("no")), (2, "berth-deploy: refused: no\n"))
        self.assertEqual(self.run_main_with(bd.Failed("broke")), (1, "berth-deploy: failed: broke\n"))
        code, text = self.run_main_with(OSError(28, "No space left on device", "/var/lib/berth/deploy/x"))
        self.assertEqual(code, 1)
        self.assertEqual(text.count("\n"), 1)
        self.assertIn("No space left on device", text)
        code, text = self.run_main_with(KeyError("live"))
        self.assertEqual((code, text.count("\n")), (70, 1))
        self.assertTrue(text.startswith("berth-deploy: crashed: unexpected KeyError"))
        self.assertNotIn("Traceback", text)


if __name__ == "__main__":
    unittest.main()
