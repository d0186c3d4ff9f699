"""Ending a database password rotation (MySQL 8 dual passwords): after a deploy, restart or rollback the
old password is discarded only once every container Berth keeps for the app runs with the current one."""
import copy
import os
import unittest

from fakehost import Harness, bd, golden_apps, golden_prod_apps

# passwordFingerprint("web", "n3w'pa\\ss") in components/render/appDatabase.ts (pinned by
# test/integration/app-database.test.ts): the two sides compute the same scrypt.
TS_FINGERPRINT = "8e87a12d4e57095e4ad222cd39bc6c1e01c131dec5fb9982755ba86443169047"


def with_database(apps):
    """The dev apps file with its first app given a database, and prod's databaseAdmin section (rendered from TypeScript)."""
    apps = copy.deepcopy(apps)
    apps["databaseAdmin"] = golden_prod_apps()["databaseAdmin"]
    apps["apps"][0]["database"] = True
    apps["apps"][0]["databaseUser"] = "web"
    return apps


class PasswordWindowTest(unittest.TestCase):
    def setUp(self):
        self.h = Harness(with_database(golden_apps()))
        self.app = self.h.app()
        self.adm = self.h.cfg.databaseAdmin
        self.set_password("old-password-1")

    def tearDown(self):
        self.h.cleanup()

    def set_password(self, password):
        """What pulumi up does on a rotation: the env files get the new DB_PASSWORD, the server records its fingerprint."""
        for p in self.app.parts:
            with open(os.path.join(self.h.root, p.runtime.envFile.lstrip("/")), "w", encoding="utf-8") as f:
                f.write("PORT=%d\nDB_USER=web\nDB_PASSWORD=%s\n" % (p.containerPort, password))
        self.h.runner.database.recorded["web"] = bd.db_fingerprint(self.adm, "web", password)
        # Before a rotation a discard finds no old password (a no-op on the server): count only those after it.
        self.h.runner.database.discarded.clear()
        self.h.runner.calls.clear()

    def db_calls(self):
        return [c for c in self.h.runner.calls if c[0] == "mysql"]

    def test_the_fingerprint_is_the_one_typescript_records(self):
        self.assertEqual(bd.db_fingerprint(self.adm, "web", "n3w'pa\\ss"), TS_FINGERPRINT)

    def test_no_discard_while_the_rollback_target_runs_with_the_old_password(self):
        bd.cmd_deploy(self.h.host(), self.app, "v1")
        bd.cmd_deploy(self.h.host(), self.app, "v2")
        self.set_password("new-password-2")
        bd.cmd_restart(self.h.host(), self.app)
        # live (restart) has the new password, the rollback target (v2) the old one: keep the old.
        self.assertEqual(self.h.runner.database.discarded, [])
        self.assertIn("old password kept", self.h.log()[-1]["databasePassword"])
        self.assertEqual(self.db_calls(), [], "nothing to ask the server while the kept containers disagree")

    def test_discards_once_every_kept_container_runs_with_the_current_password(self):
        bd.cmd_deploy(self.h.host(), self.app, "v1")
        self.set_password("new-password-2")
        bd.cmd_restart(self.h.host(), self.app)
        bd.cmd_restart(self.h.host(), self.app)  # the rollback target now has the new password too
        self.assertEqual(self.h.runner.database.discarded, ["web"])
        self.assertEqual(self.h.log()[-1]["databasePassword"], "old password discarded")
        argv, sql = self.h.runner.database.scripts[-1]
        self.assertEqual(argv, ["mysql", "--defaults-file=" + os.path.join(self.h.root, "etc/berth/db/admin.cnf"),
                                "--batch", "--skip-column-names"])
        self.assertIn("`user` = 'web' AND `fingerprint` = '%s'" % bd.db_fingerprint(self.adm, "web", "new-password-2"), sql)
        self.assertIn("'ALTER USER IF EXISTS ''web''@''%'' DISCARD OLD PASSWORD'", sql)
        for call in self.h.runner.calls:  # the password is never in a command line
            self.assertNotIn("new-password-2", " ".join(call))

    def test_keeps_the_old_password_when_the_server_records_another_one(self):
        # A rotation under way: the containers run with a password that is no longer the recorded one.
        bd.cmd_deploy(self.h.host(), self.app, "v1")
        bd.cmd_deploy(self.h.host(), self.app, "v2")
        self.h.runner.database.recorded["web"] = bd.db_fingerprint(self.adm, "web", "rotating-3")
        self.h.runner.database.discarded.clear()
        bd.cmd_deploy(self.h.host(), self.app, "v3")
        self.assertEqual(self.h.runner.database.discarded, [])
        self.assertTrue(self.h.log()[-1]["databasePassword"].startswith("old password kept: the kept containers do not run"))

    def test_a_failing_check_never_fails_the_deploy(self):
        bd.cmd_deploy(self.h.host(), self.app, "v1")
        self.h.runner.fail["mysql"] = bd.Result(1, "", "ERROR 2002 (HY000): Can't connect to MySQL server")
        bd.cmd_deploy(self.h.host(), self.app, "v2")
        last = self.h.log()[-1]
        self.assertEqual(last["result"], "ok")
        self.assertIn("Can't connect", last["databasePassword"])
        self.assertTrue(any("was not discarded" in e for e in self.h.err))

    def test_rollback_to_a_release_with_the_old_password_keeps_it(self):
        bd.cmd_deploy(self.h.host(), self.app, "v1")
        self.set_password("new-password-2")
        bd.cmd_deploy(self.h.host(), self.app, "v2")
        bd.cmd_rollback(self.h.host(), self.app)
        self.assertEqual(self.h.runner.database.discarded, [])
        self.assertIn("old password kept", self.h.log()[-1]["databasePassword"])

    def test_the_rehearsals_mariadb_checks_but_never_discards(self):
        apps = with_database(golden_apps())
        apps["databaseAdmin"]["flavor"] = "mariadb"
        apps["databaseAdmin"]["client"] = "mariadb"
        apps["databaseAdmin"]["discardSql"] = apps["databaseAdmin"]["discardSql"].replace(
            "'ALTER USER IF EXISTS ''{user}''@''%'' DISCARD OLD PASSWORD'", "'DO 0'")
        self.h.cleanup()
        self.h = Harness(apps)
        self.app, self.adm = self.h.app(), self.h.cfg.databaseAdmin
        self.set_password("old-password-1")
        bd.cmd_deploy(self.h.host(), self.app, "v1")
        bd.cmd_restart(self.h.host(), self.app)
        self.assertEqual(self.h.runner.database.discarded, [])
        self.assertEqual(self.h.log()[-1]["databasePassword"], "current (no dual passwords on this server)")

    def test_apps_without_a_database_never_reach_the_server(self):
        h = Harness(golden_apps())
        try:
            bd.cmd_deploy(h.host(), h.app(), "v1")
            self.assertNotIn("databasePassword", h.log()[-1])
            self.assertEqual([c for c in h.runner.calls if c[0] == "mysql"], [])
        finally:
            h.cleanup()


class ParseTest(unittest.TestCase):
    def test_a_database_app_needs_a_plain_user_name(self):
        apps = with_database(golden_apps())
        apps["apps"][0]["databaseUser"] = "web'; DROP"
        with self.assertRaises(bd.Refused) as e:
            bd.parse_config(apps)
        self.assertEqual(str(e.exception), "apps file: apps[0].databaseUser must match ^[a-z0-9_]{1,32}$")

    def test_an_unknown_flavor_is_refused(self):
        apps = with_database(golden_apps())
        apps["databaseAdmin"]["flavor"] = "postgres"
        with self.assertRaises(bd.Refused) as e:
            bd.parse_config(apps)
        self.assertIn("databaseAdmin.flavor 'postgres' must be mysql8 or mariadb", str(e.exception))


if __name__ == "__main__":
    unittest.main()
