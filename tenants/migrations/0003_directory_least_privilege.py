# ruff: noqa: S608  (SQL assembled from this file's own constants only)
"""The directory behind narrow functions: the app role reads its own agency's rows, writes none.

Password hashes and token digests leave the models (their columns stay, unreadable by the app
role); users, tokens and training are row-level secured by the user's agency; every write and
the resolution of a token digest go through ``SECURITY DEFINER`` functions owned by the NOLOGIN
role ``probity_directory``, which holds exactly the privileges they need. Tokens gain an
expiry, the path that issued them and the token they replaced.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

DIRECTORY_ROLE = "probity_directory"
ACTING = "NULLIF(current_setting('app.agency_id', true), '')"
ROLES = "ARRAY['investigator','analyst','supervisor','compliance_officer','agency_admin','auditor']"

ROLE_SQL = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{DIRECTORY_ROLE}') THEN
        CREATE ROLE {DIRECTORY_ROLE} NOLOGIN NOINHERIT;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT {DIRECTORY_ROLE} TO %I', current_user);
    END IF;
END $$;
GRANT USAGE ON SCHEMA public TO {DIRECTORY_ROLE};
GRANT SELECT ON tenants_agency TO {DIRECTORY_ROLE};
GRANT SELECT, INSERT, UPDATE ON tenants_user, tenants_apitoken, tenants_trainingrecord
    TO {DIRECTORY_ROLE};
"""

RLS_SQL = f"""
ALTER TABLE tenants_user ENABLE ROW LEVEL SECURITY;
CREATE POLICY agency_isolation ON tenants_user USING (agency_id = {ACTING});
CREATE POLICY directory_functions ON tenants_user TO {DIRECTORY_ROLE} USING (true)
    WITH CHECK (true);
ALTER TABLE tenants_apitoken ENABLE ROW LEVEL SECURITY;
CREATE POLICY agency_isolation ON tenants_apitoken
    USING (user_id IN (SELECT id FROM tenants_user));
CREATE POLICY directory_functions ON tenants_apitoken TO {DIRECTORY_ROLE} USING (true)
    WITH CHECK (true);
ALTER TABLE tenants_trainingrecord ENABLE ROW LEVEL SECURITY;
CREATE POLICY agency_isolation ON tenants_trainingrecord
    USING (user_id IN (SELECT id FROM tenants_user));
CREATE POLICY directory_functions ON tenants_trainingrecord TO {DIRECTORY_ROLE} USING (true)
    WITH CHECK (true);
ALTER TABLE tenants_apitoken ADD CONSTRAINT tenants_apitoken_mfa_from_issuer
    CHECK (NOT mfa_verified OR issued_via IN ('operator_mfa_check', 'mfa_session', 'rotation'));
"""

RLS_REVERSE = """
ALTER TABLE tenants_apitoken DROP CONSTRAINT IF EXISTS tenants_apitoken_mfa_from_issuer;
DROP POLICY IF EXISTS agency_isolation ON tenants_user;
DROP POLICY IF EXISTS directory_functions ON tenants_user;
ALTER TABLE tenants_user DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS agency_isolation ON tenants_apitoken;
DROP POLICY IF EXISTS directory_functions ON tenants_apitoken;
ALTER TABLE tenants_apitoken DISABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS agency_isolation ON tenants_trainingrecord;
DROP POLICY IF EXISTS directory_functions ON tenants_trainingrecord;
ALTER TABLE tenants_trainingrecord DISABLE ROW LEVEL SECURITY;
"""

# pg_temp last: otherwise a temporary table of the caller could shadow a directory table.
_DEFINER = "SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp"

FUNCTIONS = {
    # Before any agency is known: one digest to one live token's user, recording its use.
    "directory_token_resolve(text)": f"""
CREATE FUNCTION directory_token_resolve(p_digest text)
RETURNS TABLE (outcome text, token_pk bigint, user_pk bigint, user_agency text)
LANGUAGE plpgsql VOLATILE {_DEFINER} AS $$
DECLARE
    found_token record;
BEGIN
    SELECT t.id, t.revoked_at, t.expires_at, u.id AS uid, u.is_active, u.agency_id AS aid
      INTO found_token
      FROM tenants_apitoken t JOIN tenants_user u ON u.id = t.user_id
     WHERE t.digest = p_digest;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unknown'::text, NULL::bigint, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    IF found_token.revoked_at IS NOT NULL THEN
        outcome := 'revoked';
    ELSIF found_token.expires_at <= now() THEN
        outcome := 'expired';
    ELSIF NOT found_token.is_active OR found_token.aid IS NULL THEN
        outcome := 'user_disabled';
    ELSE
        outcome := 'ok';
        UPDATE tenants_apitoken SET last_used_at = now() WHERE id = found_token.id;
    END IF;
    RETURN QUERY SELECT outcome, found_token.id, found_token.uid, found_token.aid::text;
END $$;
""",
    # An approver may work for another agency (interagency agreements): agency and roles only.
    "directory_user_facts(text)": f"""
CREATE FUNCTION directory_user_facts(p_username text)
RETURNS TABLE (user_agency text, user_roles text[])
LANGUAGE sql STABLE {_DEFINER} AS $$
    SELECT agency_id::text, roles::text[] FROM tenants_user
     WHERE username = p_username AND is_active AND agency_id IS NOT NULL;
$$;
""",
    "directory_user_create(text,text,text[],text,boolean)": f"""
CREATE FUNCTION directory_user_create(p_username text, p_email text, p_roles text[],
                                      p_password text, p_mfa_enabled boolean)
RETURNS bigint LANGUAGE plpgsql VOLATILE {_DEFINER} AS $$
DECLARE
    acting text := {ACTING};
    new_id bigint;
BEGIN
    IF acting IS NULL OR NOT EXISTS (SELECT 1 FROM tenants_agency WHERE id = acting) THEN
        RAISE EXCEPTION 'no acting agency' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT (p_roles <@ {ROLES}) THEN
        RAISE EXCEPTION 'unknown role' USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO tenants_user (password, is_superuser, username, first_name, last_name, email,
                              is_staff, is_active, date_joined, roles, mfa_enabled, agency_id)
    VALUES (p_password, false, p_username, '', '', p_email, false, true, now(), p_roles,
            p_mfa_enabled, acting)
    RETURNING id INTO new_id;
    RETURN new_id;
END $$;
""",
    "directory_user_set_active(bigint,boolean)": f"""
CREATE FUNCTION directory_user_set_active(p_user bigint, p_active boolean)
RETURNS boolean LANGUAGE sql VOLATILE {_DEFINER} AS $$
    WITH changed AS (
        UPDATE tenants_user SET is_active = p_active
         WHERE id = p_user AND agency_id = {ACTING} RETURNING 1
    ) SELECT EXISTS (SELECT 1 FROM changed);
$$;
""",
    "directory_login_record(bigint)": f"""
CREATE FUNCTION directory_login_record(p_user bigint)
RETURNS boolean LANGUAGE sql VOLATILE {_DEFINER} AS $$
    WITH changed AS (
        UPDATE tenants_user SET last_login = now()
         WHERE id = p_user AND agency_id = {ACTING} AND is_active RETURNING 1
    ) SELECT EXISTS (SELECT 1 FROM changed);
$$;
""",
    # Sign-in: a username to its active user and agency, before any agency is known.
    "directory_user_sign_in(text)": f"""
CREATE FUNCTION directory_user_sign_in(p_username text)
RETURNS TABLE (user_pk bigint, user_agency text)
LANGUAGE sql STABLE {_DEFINER} AS $$
    SELECT id, agency_id::text FROM tenants_user
     WHERE username = p_username AND is_active AND agency_id IS NOT NULL;
$$;
""",
    # A session's user id to its agency (the session middleware loads the user in it).
    "directory_user_agency(bigint)": f"""
CREATE FUNCTION directory_user_agency(p_user bigint)
RETURNS text LANGUAGE sql STABLE {_DEFINER} AS $$
    SELECT agency_id::text FROM tenants_user WHERE id = p_user AND is_active;
$$;
""",
    # A password is checked without its hash leaving the database: the function gives out the
    # algorithm, parameters and salt (the hash minus its last field); the service hashes the
    # candidate with them and the database compares.
    "directory_password_prefix(bigint)": f"""
CREATE FUNCTION directory_password_prefix(p_user bigint)
RETURNS text LANGUAGE sql STABLE {_DEFINER} AS $$
    SELECT regexp_replace(password, '\\$[^$]*$', '') FROM tenants_user
     WHERE id = p_user AND is_active AND password NOT LIKE '!%' AND password LIKE '%$%';
$$;
""",
    "directory_password_verify(bigint,text)": f"""
CREATE FUNCTION directory_password_verify(p_user bigint, p_candidate text)
RETURNS boolean LANGUAGE sql STABLE {_DEFINER} AS $$
    SELECT EXISTS (SELECT 1 FROM tenants_user WHERE id = p_user AND is_active
                   AND password NOT LIKE '!%' AND password = p_candidate);
$$;
""",
    "directory_password_set(bigint,text)": f"""
CREATE FUNCTION directory_password_set(p_user bigint, p_hash text)
RETURNS boolean LANGUAGE sql VOLATILE {_DEFINER} AS $$
    WITH changed AS (
        UPDATE tenants_user SET password = p_hash
         WHERE id = p_user AND agency_id = {ACTING} RETURNING 1
    ) SELECT EXISTS (SELECT 1 FROM changed);
$$;
""",
    "directory_training_add(bigint,text,timestamptz,timestamptz)": f"""
CREATE FUNCTION directory_training_add(p_user bigint, p_course text,
                                       p_completed_at timestamptz, p_expires_at timestamptz)
RETURNS bigint LANGUAGE plpgsql VOLATILE {_DEFINER} AS $$
DECLARE
    new_id bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM tenants_user WHERE id = p_user AND agency_id = {ACTING}) THEN
        RETURN NULL;
    END IF;
    INSERT INTO tenants_trainingrecord (user_id, course, completed_at, expires_at)
    VALUES (p_user, p_course, p_completed_at, p_expires_at) RETURNING id INTO new_id;
    RETURN new_id;
END $$;
""",
    # mfa_verified follows from the issuing path: an operator holding the owner's credentials
    # attests a second-factor check, the portal a session that passed one; rotation inherits.
    "directory_token_issue(bigint,text,text,text,text,timestamptz)": f"""
CREATE FUNCTION directory_token_issue(p_user bigint, p_label text, p_prefix text,
                                      p_digest text, p_issued_via text,
                                      p_expires_at timestamptz)
RETURNS bigint LANGUAGE plpgsql VOLATILE {_DEFINER} AS $$
DECLARE
    new_id bigint;
    operator boolean := pg_has_role(session_user,
        (SELECT relowner FROM pg_class WHERE oid = 'tenants_apitoken'::regclass), 'MEMBER');
BEGIN
    IF p_issued_via NOT IN ('operator', 'operator_mfa_check', 'agency_admin', 'portal',
                            'mfa_session') THEN
        RAISE EXCEPTION 'unknown issuing path' USING ERRCODE = 'check_violation';
    END IF;
    IF p_issued_via LIKE 'operator%' AND NOT operator THEN
        RAISE EXCEPTION 'only an operator may issue % tokens', p_issued_via
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_expires_at <= now() THEN
        RAISE EXCEPTION 'expiry in the past' USING ERRCODE = 'check_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM tenants_user WHERE id = p_user AND agency_id = {ACTING}) THEN
        RETURN NULL;
    END IF;
    INSERT INTO tenants_apitoken (user_id, label, prefix, digest, issued_via, mfa_verified,
                                  created_at, expires_at)
    VALUES (p_user, p_label, p_prefix, p_digest, p_issued_via,
            p_issued_via IN ('operator_mfa_check', 'mfa_session'), now(), p_expires_at)
    RETURNING id INTO new_id;
    RETURN new_id;
END $$;
""",
    "directory_token_revoke(bigint)": f"""
CREATE FUNCTION directory_token_revoke(p_token bigint)
RETURNS boolean LANGUAGE sql VOLATILE {_DEFINER} AS $$
    WITH changed AS (
        UPDATE tenants_apitoken t SET revoked_at = now()
          FROM tenants_user u
         WHERE t.id = p_token AND u.id = t.user_id AND u.agency_id = {ACTING}
           AND t.revoked_at IS NULL
        RETURNING 1
    ) SELECT EXISTS (SELECT 1 FROM changed);
$$;
""",
    # A new key for a live token: same user, label and second-factor standing; the old one ends.
    "directory_token_rotate(bigint,text,text,timestamptz)": f"""
CREATE FUNCTION directory_token_rotate(p_token bigint, p_prefix text, p_digest text,
                                       p_expires_at timestamptz)
RETURNS bigint LANGUAGE plpgsql VOLATILE {_DEFINER} AS $$
DECLARE
    prev record;
    new_id bigint;
BEGIN
    IF p_expires_at <= now() THEN
        RAISE EXCEPTION 'expiry in the past' USING ERRCODE = 'check_violation';
    END IF;
    SELECT t.* INTO prev FROM tenants_apitoken t JOIN tenants_user u ON u.id = t.user_id
     WHERE t.id = p_token AND u.agency_id = {ACTING} AND t.revoked_at IS NULL
       AND t.expires_at > now()
       FOR UPDATE OF t;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    UPDATE tenants_apitoken SET revoked_at = now() WHERE id = prev.id;
    INSERT INTO tenants_apitoken (user_id, label, prefix, digest, issued_via, mfa_verified,
                                  rotated_from_id, created_at, expires_at)
    VALUES (prev.user_id, prev.label, p_prefix, p_digest, 'rotation', prev.mfa_verified, prev.id,
            now(), p_expires_at)
    RETURNING id INTO new_id;
    RETURN new_id;
END $$;
""",
}


def _functions_sql() -> str:
    parts = []
    for signature, body in FUNCTIONS.items():
        parts.append(body)
        parts.append(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC;")
        parts.append(f"ALTER FUNCTION {signature} OWNER TO {DIRECTORY_ROLE};")
    return "\n".join(parts)


def _functions_reverse() -> str:
    return "\n".join(f"DROP FUNCTION IF EXISTS {s};" for s in FUNCTIONS)


class Migration(migrations.Migration):
    dependencies = [("tenants", "0002_idempotency_key")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="user", name="password"),
                migrations.RemoveField(model_name="apitoken", name="digest"),
            ],
        ),
        migrations.AddField(
            model_name="apitoken",
            name="issued_via",
            field=models.CharField(
                choices=[
                    ("operator", "operator command"),
                    ("operator_mfa_check", "operator command after checking the second factor"),
                    ("agency_admin", "agency admin through the API"),
                    ("portal", "the user, in a portal session signed in without a second factor"),
                    ("mfa_session", "the user, in a portal session signed in with a second factor"),
                    ("rotation", "rotation of an earlier token"),
                ],
                default="operator",
                max_length=30,
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.RunSQL(
            "UPDATE tenants_apitoken SET expires_at = created_at + interval '90 days';"
            "UPDATE tenants_apitoken SET issued_via = 'operator_mfa_check' WHERE mfa_verified;",
            migrations.RunSQL.noop,
        ),
        migrations.AddField(
            model_name="apitoken",
            name="rotated_from",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="tenants.apitoken",
            ),
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="mfa_verified",
            field=models.BooleanField(
                default=False,
                help_text="The user's second factor was checked when the token was issued "
                "(set only by an issuing path that checks it; inherited on rotation).",
            ),
        ),
        migrations.RunSQL(ROLE_SQL, migrations.RunSQL.noop),
        migrations.RunSQL(RLS_SQL, RLS_REVERSE),
        migrations.RunSQL(_functions_sql(), _functions_reverse()),
    ]
