"""The operator commands: agencies, users, galleries, enrollment, the demo, policy evaluation."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from PIL import Image
from rest_framework.test import APIClient

import matching.demo
from audit.models import AuditEvent
from matching.enrollment import ALREADY_ENROLLED, NO_FACE
from matching.models import Face, Gallery
from policy.decision import FAIL_CLOSED_CODE
from tenants.context import agency_transaction
from tenants.models import Agency, ApiToken, User
from tenants.services import token_revoke
from tenants.tokens import KEY_PREFIX
from tests.conftest import PHOTOS

CASES = Path(settings.BASE_DIR) / "policy" / "fixtures" / "cases"


def new_id(prefix: str) -> str:
    """Return an agency id unique to this run and valid as a partition name."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def run(*args: str) -> str:
    """Run a management command and return what it printed on stdout."""
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def agency_create(agency_id: str, *extra: str) -> str:
    return run(
        "agency_create",
        "--id",
        agency_id,
        "--name",
        f"Service {agency_id}",
        "--kind",
        "municipal",
        "--jurisdiction",
        "CA-ON",
        "--municipality",
        "Toronto",
        *extra,
    )


def owner_rows(query: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Query the catalogue as the database owner."""
    with connections["owner"].cursor() as cursor:
        cursor.execute(query, params)
        return list(cursor.fetchall())


def partition_rows(table: str) -> list[tuple[Any, ...]]:
    return owner_rows(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
        "WHERE p.relname = 'matching_face' AND c.relname = %s",
        [table],
    )


@pytest.fixture
def agency_id(committed: None) -> str:
    """An agency created through the command, with a unique id."""
    agency_id = new_id("cli")
    agency_create(agency_id, "--pia-completed", "--fr-program-approved")
    return agency_id


@pytest.fixture
def gallery_id(agency_id: str) -> str:
    gallery_id = f"g-{uuid.uuid4().hex[:8]}"
    run(
        "gallery_create",
        "--agency",
        agency_id,
        "--id",
        gallery_id,
        "--legal-basis",
        "consent",
        "--no-youth-records",
    )
    return gallery_id


# agency_create


def test_agency_create_makes_the_agency_and_its_vector_partition(committed: None) -> None:
    agency_id = new_id("cli")
    out = agency_create(agency_id, "--pia-completed", "--cai-disclosure-filed")
    assert out.strip() == f"agency {agency_id} created"

    agency = Agency.objects.get(id=agency_id)
    assert (agency.kind, agency.jurisdiction, agency.municipality) == (
        "municipal",
        "CA-ON",
        "Toronto",
    )
    assert (agency.pia_completed, agency.cai_disclosure_filed, agency.fr_program_approved) == (
        True,
        True,
        False,
    )

    table = f"matching_face_p_{agency_id}"
    assert partition_rows(table) == [(table, f"FOR VALUES IN ('{agency_id}')")]
    indexes = [
        d for (d,) in owner_rows("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
    ]
    assert any("USING btree (agency_id, gallery_id)" in d for d in indexes), indexes
    assert not any("USING hnsw" in d for d in indexes), indexes
    assert owner_rows(
        "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s", [table]
    ) == [(True, True)]
    app_role = settings.DATABASES["default"]["USER"]
    assert owner_rows("SELECT has_table_privilege(%s, %s, 'SELECT')", [app_role, table]) == [
        (False,)
    ]
    with agency_transaction(agency_id):
        assert list(
            AuditEvent.objects.filter(agency_id=agency_id).values_list("action", flat=True)
        ) == ["agency.created"]


def test_agency_create_refuses_a_duplicate_id(agency_id: str) -> None:
    with pytest.raises(CommandError, match="already exists"):
        agency_create(agency_id)
    assert Agency.objects.filter(id=agency_id).count() == 1


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--jurisdiction", "CA-XX"), ("--jurisdiction", "Ontario"), ("--kind", "private")],
)
def test_agency_create_refuses_an_unknown_choice(committed: None, flag: str, value: str) -> None:
    agency_id = new_id("cli")
    args = {"--id": agency_id, "--name": "Bad", "--kind": "municipal", "--jurisdiction": "CA-ON"}
    args[flag] = value
    with pytest.raises(CommandError, match=flag.removeprefix("--")):
        run("agency_create", *[part for pair in args.items() for part in pair])
    assert not Agency.objects.filter(id=agency_id).exists()
    assert partition_rows(f"matching_face_p_{agency_id}") == []


@pytest.mark.parametrize("bad_id", ["Upper_case", "1starts_with_digit", "has-dash", "x"])
def test_agency_create_refuses_an_id_unfit_for_a_partition_name(
    committed: None, bad_id: str
) -> None:
    with pytest.raises(CommandError):
        agency_create(bad_id)
    assert not Agency.objects.filter(id=bad_id).exists()


# user_create


def test_user_token_authenticates_and_is_stored_only_hashed(
    agency_id: str, gallery_id: str
) -> None:
    username = f"{agency_id}_inv"
    token = run(
        "user_create",
        "--agency",
        agency_id,
        "--username",
        username,
        "--role",
        "investigator",
        "--token",
    ).strip()
    assert token.startswith(KEY_PREFIX)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/v1/galleries")
    assert response.status_code == 200, response.content
    assert [g["id"] for g in response.json()["galleries"]] == [gallery_id]

    user = User.objects.using("owner").get(username=username)
    assert (user.agency_id, user.roles) == (agency_id, ["investigator"])
    stored = ApiToken.objects.using("owner").get(user=user)
    with connections["owner"].cursor() as cursor:
        cursor.execute("SELECT digest FROM tenants_apitoken WHERE id = %s", [stored.pk])
        assert cursor.fetchone() == (hashlib.sha256(token.encode()).hexdigest(),)
    assert stored.issued_via == "operator"
    assert stored.mfa_verified is False
    for field in ApiToken._meta.concrete_fields:
        assert token not in str(getattr(stored, field.attname)), field.name
    with agency_transaction(agency_id):
        events = list(AuditEvent.objects.filter(agency_id=agency_id))
    assert "token.issued" in [e.action for e in events]
    assert all(token not in json.dumps(e.data) for e in events)


def test_user_create_without_token_prints_none(agency_id: str) -> None:
    username = f"{agency_id}_aud"
    assert (
        run("user_create", "--agency", agency_id, "--username", username, "--role", "auditor") == ""
    )
    assert not ApiToken.objects.using("owner").filter(user__username=username).exists()


def test_user_create_refuses_unknown_agency_role_and_duplicate(agency_id: str) -> None:
    username = f"{agency_id}_dup"
    with pytest.raises(CommandError, match="no agency"):
        run(
            "user_create",
            "--agency",
            new_id("none"),
            "--username",
            username,
            "--role",
            "investigator",
        )
    with pytest.raises(CommandError, match="role"):
        run("user_create", "--agency", agency_id, "--username", username, "--role", "sheriff")
    assert not User.objects.using("owner").filter(username=username).exists()
    run("user_create", "--agency", agency_id, "--username", username, "--role", "investigator")
    with pytest.raises(CommandError, match="already exists"):
        run("user_create", "--agency", agency_id, "--username", username, "--role", "analyst")
    assert User.objects.using("owner").get(username=username).roles == ["investigator"]


# gallery_create


def test_gallery_create_records_the_legal_basis(agency_id: str) -> None:
    out = run(
        "gallery_create",
        "--agency",
        agency_id,
        "--id",
        "volunteers",
        "--legal-basis",
        "consent",
        "--no-youth-records",
    )
    assert out.strip() == f"gallery {agency_id}/volunteers created"
    with agency_transaction(agency_id):
        gallery = Gallery.objects.get(agency_id=agency_id, slug="volunteers")
    assert (gallery.legal_basis, gallery.contains_youth_records, gallery.name) == (
        "consent",
        False,
        "volunteers",
    )


def test_gallery_create_refuses_bad_arguments(agency_id: str) -> None:
    base = ["gallery_create", "--agency", agency_id, "--id", "g1", "--legal-basis", "consent"]
    with pytest.raises(CommandError, match="youth"):
        run(*base)
    with pytest.raises(CommandError, match="legal-basis"):
        run(
            "gallery_create",
            "--agency",
            agency_id,
            "--id",
            "g1",
            "--legal-basis",
            "hunch",
            "--no-youth-records",
        )
    with pytest.raises(CommandError, match="no agency"):
        run(
            "gallery_create",
            "--agency",
            new_id("none"),
            "--id",
            "g1",
            "--legal-basis",
            "consent",
            "--no-youth-records",
        )
    with agency_transaction(agency_id):
        assert not Gallery.objects.filter(agency_id=agency_id).exists()
    run(*base, "--no-youth-records")
    with pytest.raises(CommandError, match="already exists"):
        run(*base, "--contains-youth-records")
    with agency_transaction(agency_id):
        assert Gallery.objects.get(agency_id=agency_id, slug="g1").contains_youth_records is False


# gallery_enroll


def test_gallery_enroll_reports_each_file_and_is_idempotent(
    agency_id: str, gallery_id: str, tmp_path: Path
) -> None:
    people = {"obama": ["obama.jpg", "obama2.jpg"], "biden": ["biden.jpg"]}
    for subject, names in people.items():
        (tmp_path / subject).mkdir()
        for name in names:
            (tmp_path / subject / name).write_bytes((PHOTOS / name).read_bytes())
    (tmp_path / "nobody").mkdir()
    Image.new("RGB", (320, 240), (120, 160, 200)).save(tmp_path / "nobody" / "blank.png")
    (tmp_path / "obama" / "notes.txt").write_text("not an image")
    args = [
        "gallery_enroll",
        "--agency",
        agency_id,
        "--gallery",
        gallery_id,
        str(tmp_path),
        "--inline",
        "--json",
    ]

    first = json.loads(run(*args))
    assert first["status"] == "done"
    assert {(r["subject"], r["file"]): (r["status"], r["reason"]) for r in first["results"]} == {
        ("biden", "biden.jpg"): ("enrolled", ""),
        ("nobody", "blank.png"): ("rejected", NO_FACE),
        ("obama", "obama.jpg"): ("enrolled", ""),
        ("obama", "obama2.jpg"): ("enrolled", ""),
    }
    assert (first["enrolled"], first["rejected"], first["skipped"]) == (3, 1, 0)
    with agency_transaction(agency_id):
        faces = Face.objects.filter(agency_id=agency_id, gallery__slug=gallery_id)
        assert sorted(faces.values_list("subject__ref", flat=True)) == ["biden", "obama", "obama"]

    second = json.loads(run(*args))
    assert second["batch"] != first["batch"]
    assert {(r["subject"], r["file"]): (r["status"], r["reason"]) for r in second["results"]} == {
        ("biden", "biden.jpg"): ("skipped", ALREADY_ENROLLED),
        ("nobody", "blank.png"): ("rejected", NO_FACE),
        ("obama", "obama.jpg"): ("skipped", ALREADY_ENROLLED),
        ("obama", "obama2.jpg"): ("skipped", ALREADY_ENROLLED),
    }
    assert (second["enrolled"], second["rejected"], second["skipped"]) == (0, 1, 3)
    with agency_transaction(agency_id):
        assert Face.objects.filter(agency_id=agency_id, gallery__slug=gallery_id).count() == 3


def test_gallery_enroll_refuses_unknown_gallery_and_empty_directory(
    agency_id: str, gallery_id: str, tmp_path: Path
) -> None:
    with pytest.raises(CommandError, match="no such agency or gallery"):
        run(
            "gallery_enroll",
            "--agency",
            agency_id,
            "--gallery",
            "nowhere",
            str(tmp_path),
            "--inline",
        )
    with pytest.raises(CommandError, match="no images"):
        run(
            "gallery_enroll",
            "--agency",
            agency_id,
            "--gallery",
            gallery_id,
            str(tmp_path),
            "--inline",
        )
    with pytest.raises(CommandError, match="not a directory"):
        run(
            "gallery_enroll",
            "--agency",
            agency_id,
            "--gallery",
            gallery_id,
            str(tmp_path / "missing"),
            "--inline",
        )


# demo_bootstrap


def test_demo_bootstrap_is_idempotent_and_its_tokens_work(
    committed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = tmp_path / "demo-credentials.json"
    monkeypatch.setattr(matching.demo, "CREDENTIALS", credentials)

    first = json.loads(run("demo_bootstrap", "--json"))
    demo_usernames = [u["username"] for u in first["users"]]
    demo_tokens_stored = ApiToken.objects.using("owner").filter(user__username__in=demo_usernames)
    tokens_after_first = demo_tokens_stored.count()
    second = json.loads(run("demo_bootstrap", "--json"))

    assert [a["id"] for a in first["agencies"]] == ["tps", "spvm"]
    assert second["agencies"] == first["agencies"]
    assert second["users"] == first["users"]
    assert second["galleries"] == first["galleries"]
    assert all(g["faces"] > 0 for g in first["galleries"])
    assert demo_tokens_stored.count() == tokens_after_first
    assert Agency.objects.filter(id__in=["tps", "spvm"]).count() == 2
    demo_users = User.objects.using("owner").filter(username__in=demo_usernames)
    assert demo_users.count() == len(demo_usernames) == 12

    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    saved = json.loads(credentials.read_text())
    for user in second["users"]:
        assert saved[user["username"]]["token"] == user["token"]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {user['token']}")
        response = client.get("/api/v1/galleries")
        assert response.status_code == 200, (user["username"], response.content)
        assert [g["id"] for g in response.json()["galleries"]] == ["booking"]


def test_demo_credentials_file_is_private_even_over_an_open_one(
    committed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matching.demo, "CREDENTIALS", tmp_path / "demo-credentials.json")
    output = tmp_path / "demo.json"
    output.write_text("{}")
    output.chmod(0o644)
    run("demo_bootstrap", "--output", str(output))
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    written = json.loads(output.read_text())
    assert all(u["token"].startswith(KEY_PREFIX) for u in written["users"])


def demo_tokens() -> dict[str, str]:
    return {u["username"]: u["token"] for u in json.loads(run("demo_bootstrap", "--json"))["users"]}


def test_demo_bootstrap_replaces_a_revoked_token(
    committed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matching.demo, "CREDENTIALS", tmp_path / "demo-credentials.json")
    first = demo_tokens()
    revoked = first["tps_investigator"]
    with connections["owner"].cursor() as cursor:
        cursor.execute(
            "SELECT id FROM tenants_apitoken WHERE digest = %s",
            [hashlib.sha256(revoked.encode()).hexdigest()],
        )
        row = cursor.fetchone()
    assert row is not None
    assert token_revoke(agency=Agency.objects.get(id="tps"), token_id=row[0], actor="test")

    second = demo_tokens()
    assert second["tps_investigator"] != revoked
    assert {k: v for k, v in second.items() if k != "tps_investigator"} == {
        k: v for k, v in first.items() if k != "tps_investigator"
    }
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {second['tps_investigator']}")
    assert client.get("/api/v1/galleries").status_code == 200


# policy_eval


def case(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CASES / f"{name}.json").read_text())
    return loaded


def codes(decision: dict[str, Any]) -> list[str]:
    return [r["code"] for r in decision["reasons"]]


def test_policy_eval_reads_a_json_file(db: None, tmp_path: Path) -> None:
    allowed = case("tps_ica_robbery_allowed")
    path = tmp_path / "input.json"
    path.write_text(json.dumps(allowed["input"], indent=2))

    lines = run("policy_eval", str(path)).splitlines()
    assert len(lines) == 1
    decision = json.loads(lines[0])
    assert set(decision) == {"allow", "reasons", "obligations"}
    assert decision["allow"] is True
    assert set(allowed["expect"]["codes_present"]) <= set(codes(decision))
    assert not set(allowed["expect"]["codes_absent"]) & set(codes(decision))
    assert decision["obligations"] == allowed["expect"]["obligations"]
    assert all(set(r) == {"code", "message", "authority"} for r in decision["reasons"])


def test_policy_eval_reads_json_lines_from_stdin(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    names = ["tps_ica_robbery_allowed", "unknown_purpose", "shoplifting_below_threshold"]
    documents = [json.dumps(case(name)["input"]) for name in names]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(documents) + "\n\n"))

    lines = run("policy_eval").splitlines()
    assert len(lines) == len(names)
    for name, line in zip(names, lines, strict=True):
        decision = json.loads(line)
        expect = case(name)["expect"]
        assert set(decision) == {"allow", "reasons", "obligations"}
        assert decision["allow"] is expect["allow"], name
        assert set(expect["codes_present"]) <= set(codes(decision)), name


@pytest.mark.parametrize("bad_line", ["[1, 2]", '"purpose: robbery"', "42", "null", "{not json"])
def test_policy_eval_denies_a_line_that_is_not_an_object(
    db: None, monkeypatch: pytest.MonkeyPatch, bad_line: str
) -> None:
    allowed = json.dumps(case("tps_ica_robbery_allowed")["input"])
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{allowed}\n{bad_line}\n{allowed}\n"))

    decisions = [json.loads(line) for line in run("policy_eval", "-").splitlines()]
    assert [d["allow"] for d in decisions] == [True, False, True]
    assert codes(decisions[1]) == [FAIL_CLOSED_CODE]
    assert decisions[1]["obligations"] == {}


# token_issue, token_list, token_revoke, user_disable


def galleries_status(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return int(client.get("/api/v1/galleries").status_code)


def test_operator_token_lifecycle_by_command(agency_id: str) -> None:
    username = f"{agency_id}_life"
    run("user_create", "--agency", agency_id, "--username", username, "--role", "analyst")
    key = run(
        "token_issue",
        "--agency",
        agency_id,
        "--username",
        username,
        "--days",
        "7",
        "--mfa-verified",
    ).strip()
    assert galleries_status(key) == 200
    listed = [line.split("\t") for line in run("token_list", "--agency", agency_id).splitlines()]
    ((token_id, prefix, user, issued_via, _expires, status),) = listed
    assert (prefix, user, issued_via, status) == (
        key[:12],
        username,
        "operator_mfa_check",
        "active",
    )

    rotated = run("token_revoke", "--agency", agency_id, "--id", token_id, "--rotate").strip()
    assert galleries_status(key) == 401
    assert galleries_status(rotated) == 200
    new_id_ = next(
        line.split("\t")[0]
        for line in run("token_list", "--agency", agency_id).splitlines()
        if line.split("\t")[1] == rotated[:12]
    )
    run("token_revoke", "--agency", agency_id, "--id", new_id_)
    assert galleries_status(rotated) == 401
    with pytest.raises(CommandError, match="no active token"):
        run("token_revoke", "--agency", agency_id, "--id", new_id_)

    again = run("token_issue", "--agency", agency_id, "--username", username).strip()
    run("user_disable", "--agency", agency_id, "--username", username)
    assert galleries_status(again) == 401
    run("user_disable", "--agency", agency_id, "--username", username, "--enable")
    assert galleries_status(again) == 200
    with agency_transaction(agency_id):
        logged = list(
            AuditEvent.objects.filter(agency_id=agency_id).values_list("action", flat=True)
        )
    for action in (
        "token.issued",
        "token.rotated",
        "token.revoked",
        "user.disabled",
        "user.enabled",
    ):
        assert action in logged


def test_commands_refuse_another_agencys_token_and_user(agency_id: str, tenant_b: Any) -> None:
    b_token = next(
        line.split("\t")[0]
        for line in run("token_list", "--agency", tenant_b.agency.id).splitlines()
    )
    with pytest.raises(CommandError, match="no active token"):
        run("token_revoke", "--agency", agency_id, "--id", b_token)
    with pytest.raises(CommandError, match="no user"):
        run("user_disable", "--agency", agency_id, "--username", tenant_b.users["analyst"].username)
    assert galleries_status(tenant_b.tokens["analyst"]) == 200
