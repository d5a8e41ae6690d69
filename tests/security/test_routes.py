"""Finding-wide adversarial walk: every route in app.url_map, for every kind of outsider.

Each route is classified below; a new route fails ``test_every_route_is_classified`` until it is added, and
from then on it is walked automatically:

- anonymous visitors reach only PUBLIC routes; everything else sends them to sign in (or refuses);
- a cadre, an organiser and a leader of 甲乡, given the ids of 乙乡's objects, are refused on every OBJECT
  route, no response to them anywhere carries 乙乡's data, and no 乙乡 object is changed;
- every POST without a CSRF token is refused with 400, even for an administrator;
- nothing answers 500.
"""

import pytest
import sqlalchemy as sa

from quizapp.accounts.models import Unit, User
from quizapp.bank.models import Question
from quizapp.engage.models import Case, Contest, ContestPlayer, DailySet
from quizapp.exams.models import Exam
from quizapp.extensions import db
from quizapp.notices.models import Notice
from quizapp.study.models import Material, OfflineSession

from securitykit import MARKER, PROBE_QUERY, build_world, methods, readable_text, route_url, rules, send

PUBLIC = "public"      # anyone, signed in or not
PAGE = "page"          # signed-in pages without an object of someone else's in the path
GLOBAL = "global"      # objects shared by everyone (the law library), or the viewer's own by construction
OBJECT = "object"      # a path naming an object that belongs to a unit or a person

ROUTES = {
    "static": PUBLIC, "auth.login": PUBLIC, "main.healthz": PUBLIC, "verify.lookup": PUBLIC, "verify.show": PUBLIC,
    "auth.logout": PAGE, "auth.change_password": PAGE, "main.home": PAGE, "audit.index": PAGE,
    "audit.export": PAGE,
    "bank.index": PAGE, "bank.create": PAGE, "bank.template": PAGE,
    "bank.questions": OBJECT, "bank.categories": OBJECT, "bank.edit": OBJECT, "bank.export": OBJECT,
    "bank.import_upload": OBJECT, "bank.import_preview": OBJECT, "bank.import_errors": OBJECT,
    "bank.import_apply": OBJECT, "bank.imports": OBJECT, "bank.create_question": OBJECT,
    "bank.import_report": OBJECT, "bank.import_report_xlsx": OBJECT, "bank.question": OBJECT,
    "bank.edit_question": OBJECT, "bank.set_status": OBJECT,
    "exams.index": PAGE, "exams.results": PAGE, "exams.certificate": GLOBAL,
    "exams.show": OBJECT, "exams.start": OBJECT, "exams.take": OBJECT, "exams.result": OBJECT,
    "exams.confirm_submit": OBJECT,
    "exam_api.api_start": OBJECT, "exam_api.answers": OBJECT, "exam_api.leave": OBJECT, "exam_api.state": OBJECT,
    "exam_api.submit": OBJECT,
    "exam_admin.index": PAGE, "exam_admin.create": PAGE,
    "exam_admin.overview": OBJECT, "exam_admin.lifecycle": OBJECT, "exam_admin.attempt_detail": OBJECT,
    "exam_admin.correct_key": OBJECT, "exam_admin.edit": OBJECT, "exam_admin.overrides": OBJECT,
    "exam_admin.delete_override": OBJECT, "exam_admin.paper": OBJECT, "exam_admin.remove_question": OBJECT,
    "exam_admin.delete_rule": OBJECT, "exam_admin.save_variant": OBJECT, "exam_admin.delete_variant": OBJECT,
    "exam_admin.add_questions": OBJECT, "exam_admin.add_rule": OBJECT, "exam_admin.apply_template": OBJECT,
    "exam_admin.regrade": OBJECT, "exam_admin.roster": OBJECT, "exam_admin.export": OBJECT,
    "exam_admin.stats": OBJECT,
    "laws.index": GLOBAL, "laws.law": GLOBAL, "laws.current_article": GLOBAL, "laws.edit": GLOBAL,
    "laws.version": GLOBAL, "laws.article": GLOBAL, "laws.jump": GLOBAL, "laws.lookup": GLOBAL,
    "laws.manage": GLOBAL, "laws.review": GLOBAL, "laws.review_law": GLOBAL, "laws.search": GLOBAL,
    "laws.make_current": GLOBAL, "laws.delete_version": GLOBAL, "laws.confirm": OBJECT,
    "materials.index": PAGE, "materials.manage": PAGE, "materials.create": PAGE,
    "materials.show": OBJECT, "materials.delete": OBJECT, "materials.edit": OBJECT, "materials.pdf": OBJECT,
    "materials.publish": OBJECT, "materials.requirements": OBJECT, "materials.delete_requirement": OBJECT,
    "offline.index": PAGE, "offline.create": PAGE, "offline.export": PAGE, "offline.signin_template": PAGE,
    "offline.show": OBJECT, "offline.attendees": OBJECT, "offline.add_attendees": OBJECT,
    "offline.remove_attendees": OBJECT, "offline.delete": OBJECT, "offline.edit": OBJECT, "offline.signin": OBJECT,
    "offline.signin_apply": OBJECT,
    "practice.index": PAGE, "practice.history": PAGE, "practice.mistakes": PAGE, "practice.redo": PAGE,
    "practice.start": PAGE,
    "practice.show": OBJECT, "practice.answer": OBJECT, "practice.feedback": OBJECT, "practice.finish": OBJECT,
    "practice.summary": OBJECT, "practice.remove_mistake": OBJECT,
    "reports.dashboard": PAGE, "reports.about": PAGE, "reports.annual": PAGE, "reports.me": PAGE,
    "reports.refresh": PAGE, "reports.settings": PAGE, "reports.shufa_index": PAGE, "reports.shufa_export": PAGE,
    "reports.records": PAGE,
    "reports.person": OBJECT, "reports.shufa_sheet": OBJECT, "reports.unit": OBJECT, "reports.people": OBJECT,
    "reports.rankings": OBJECT, "reports.unfinished": OBJECT,
    "study.me": PAGE, "study.people": PAGE, "study.targets": PAGE, "study.person": OBJECT,
    "study_api.beat": PAGE, "study_api.start": PAGE,
    "units.index": PAGE, "units.create": PAGE,
    "units.delete": OBJECT, "units.edit": OBJECT, "units.move": OBJECT,
    "users.index": PAGE, "users.create": PAGE, "users.export": PAGE, "users.import_upload": PAGE,
    "users.import_apply": PAGE, "users.template": PAGE,
    "users.show": OBJECT, "users.edit": OBJECT, "users.reset_password": OBJECT, "users.set_active": OBJECT,
    "users.unlock_sign_in": OBJECT,
    "jobs.show": OBJECT, "jobs.file": OBJECT,  # a job's progress and file belong to the person who asked
    "users.import_job_result": OBJECT,  # an account import job's passwords: the person who asked only
    # Merged later (issues 13, 14, 16).
    "main.mine": PAGE, "users.slips": PAGE,  # slips: only people in the signed-in manager's scope are printed
    "bank.template_docx": PAGE,
    "bank.variant_group": OBJECT, "bank.export_docx": OBJECT, "bank.import_paste": OBJECT,
    "bank.import_type_codes": OBJECT,
    # The signed-in person's own certificate (looked up by year for current_user); the one seal image printed on
    # every certificate is shared by design, like the law library.
    "exams.certificate_pdf": GLOBAL, "exams.certificate_seal": GLOBAL,
    "exam_admin.certificate_settings": PAGE,  # admin only
    "exam_admin.collect_attempt": OBJECT,
    "offline.confirm": OBJECT,
    "reports.remind": OBJECT, "reports.sms_list": OBJECT, "reports.shufa_text": OBJECT,
    # 消息: a person's own notices; another person's is not found.
    "notices.index": PAGE, "notices.read_all": PAGE, "notices.read": OBJECT,
    # 每日一练: today's set is made for the signed-in person; a set id is one person's.
    "engage.daily": PAGE, "engage.start": PAGE, "engage.schedule": PAGE,
    "engage.show": OBJECT, "engage.answer": OBJECT, "engage.feedback": OBJECT, "engage.summary": OBJECT,
    # 以案释法: shipped (system) cases are read by everyone by design, but a unit's own case is that unit's (and
    # the units below it): the world holds 乙乡's own case, so show/practise/edit are walked as objects.
    "cases.index": PAGE, "cases.new": PAGE,
    "cases.show": OBJECT, "cases.practise": OBJECT, "cases.edit": OBJECT,
    # 知识竞赛: joining is by the six-digit code (throttled); a contest id is its unit's (to run) or its players'.
    "contests.index": PAGE, "contests.new": PAGE, "contests.join": PAGE,
    "contests.screen": OBJECT, "contests.screen_json": OBJECT, "contests.qr": OBJECT, "contests.step": OBJECT,
    "contests.results": OBJECT, "contests.play": OBJECT, "contests.play_json": OBJECT, "contests.answer": OBJECT,
    # 法律明白人: the person's own path and certificate; coverage is per village in the viewer's scope.
    "legal_aide.path": PAGE, "legal_aide.claim": PAGE, "legal_aide.certificate": PAGE, "legal_aide.coverage": PAGE,
    # 学法积分 (switched on for this walk): the person's own points, the rule, a leader's own unit; then units.
    "points.mine": PAGE, "points.rules": PAGE, "points.overview": PAGE,
    "points.units": OBJECT, "points.people": OBJECT,
}
SIGNED_IN_REFUSALS = {400, 403, 404, 405}


@pytest.fixture
def world(app, f, tree):
    app.config["POINTS_ENABLED"] = True  # optional features on, so their routes are walked for real
    return build_world(f, tree, MARKER)


def test_every_route_is_classified(app):
    """Is every route in the app classified here (so a new route is walked by this suite, not forgotten)?"""
    endpoints = {rule.endpoint for rule in rules(app)}
    assert endpoints - set(ROUTES) == set(), "classify the new routes in tests/security/test_routes.py"
    assert set(ROUTES) - endpoints == set(), "remove routes that no longer exist"


def _snapshot(world):
    db.session.expire_all()
    victim = db.session.get(User, world["victim"].id)
    return {
        "victim": (victim.active, victim.password_hash, victim.session_version, victim.name, victim.unit_id),
        "unit": (db.session.get(Unit, world["unit"].id) or Unit()).name,
        "exam": (lambda e: (e.status, e.title))(db.session.get(Exam, world["exam"].id)),
        "questions": db.session.scalars(sa.select(Question.status).where(Question.bank_id == world["bank"].id)
                                        .order_by(Question.id)).all(),
        "session": (db.session.get(OfflineSession, world["session"].id) or OfflineSession()).topic,
        "material": (lambda m: (m.title, m.published) if m else None)(db.session.get(Material,
                                                                                     world["material"].id)),
        "case": (lambda c: (c.title, c.facts) if c else None)(db.session.get(Case, world["case"].id)),
        "contest": (lambda c: (c.status, c.current, c.title) if c else None)(db.session.get(Contest,
                                                                                          world["contest"].id)),
        "players": db.session.scalars(sa.select(ContestPlayer.user_id).where(
            ContestPlayer.contest_id == world["contest"].id).order_by(ContestPlayer.user_id)).all(),
        "daily": (lambda d: (d.session.position, d.session.finished) if d else None)(
            db.session.get(DailySet, world["daily_set"].id)),
        "notice": (lambda n: n.read_at if n else "gone")(db.session.get(Notice, world["notice"].id)),
    }


def test_anonymous_reaches_only_public_routes(app, client, world):
    """Is every non-public route refused to a visitor who has not signed in, without data?"""
    for rule in rules(app):
        if ROUTES[rule.endpoint] == PUBLIC:
            continue
        url = route_url(app, rule, world["ids"])
        for method in methods(rule):
            response = send(client, method, url)
            where = f"{method} {url}"
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], where
            else:
                assert response.status_code in {400, 401, 403, 404, 405}, f"{where}: {response.status_code}"
            assert MARKER not in response.get_data(as_text=True), where


@pytest.mark.parametrize("role", ["cadre", "organiser", "leader"])
def test_outsiders_of_another_township_are_refused(app, make_client, world, role):
    """Is a cadre, organiser or leader of 甲乡 refused every object of 乙乡, shown none of its data anywhere, and
    unable to change any of it?"""
    before = _snapshot(world)
    client = make_client()
    assert client.login(world["people"][role].login).status_code == 302
    probe = PROBE_QUERY.format(**world["ids"])
    problems = []
    for rule in rules(app):
        kind = ROUTES[rule.endpoint]
        if kind == PUBLIC or rule.endpoint == "auth.logout":
            continue
        url = route_url(app, rule, world["ids"])
        for method in methods(rule):
            response = send(client, method, url)
            if response.status_code == 500 or (kind == OBJECT and response.status_code not in SIGNED_IN_REFUSALS):
                problems.append(f"{method} {url}: {response.status_code}")
            if MARKER in readable_text(response):
                problems.append(f"{method} {url}: shows 乙乡's data")
            if method == "GET" and kind == PAGE:
                for query in (probe, probe + "&format=xlsx"):
                    probed = client.get(f"{url}?{query}")
                    probed.close()
                    if probed.status_code == 500 or MARKER in readable_text(probed):
                        problems.append(f"GET {url}?{query}: {probed.status_code}, leaks or fails")
    assert problems == [], f"{role} of 甲乡:\n" + "\n".join(problems)
    assert _snapshot(world) == before


def test_every_post_without_csrf_is_refused(app, make_client, world):
    """Is every POST route refused with 400 without a CSRF token, even for an administrator on real objects?"""
    admin = make_client()
    assert admin.login("admin01").status_code == 302
    before = _snapshot(world)
    for rule in rules(app):
        if "POST" not in rule.methods or rule.endpoint in ("auth.logout", "auth.login"):
            continue
        url = route_url(app, rule, world["ids"])
        response = send(admin, "POST", url, csrf=False)
        assert response.status_code == 400, f"POST {url} without CSRF: {response.status_code}"
    assert _snapshot(world) == before
    anonymous = make_client()
    assert anonymous.post("/login", {"login": "admin01", "password": "Passw0rd!x"}, csrf=False).status_code == 400


def test_the_world_objects_are_open_to_their_own_people(make_client, world):
    """Are 乙乡's case, contest, daily set and notice really there for 乙乡's own people (with the marker in view),
    so the outsiders' refusals above are refusals and not missing objects?"""
    ids = world["ids"]
    organiser = make_client()
    assert organiser.login("org03").status_code == 302
    for url in (f"/cases/{ids['case_id']}", f"/contests/{ids['contest_id']}/screen",
                f"/contests/{ids['contest_id']}/results"):
        response = organiser.get(url)
        assert response.status_code == 200 and MARKER in response.get_data(as_text=True), url
    victim = make_client()
    assert victim.login(world["victim"].login).status_code == 302
    assert victim.get(f"/daily/{ids['set_id']}").status_code == 200
    assert victim.get(f"/contests/{ids['contest_id']}/play").status_code == 200
    assert MARKER in victim.get("/messages/").get_data(as_text=True)
    assert victim.post(f"/messages/{ids['notice_id']}", {}).status_code == 302
