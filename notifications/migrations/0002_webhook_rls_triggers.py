"""Row-level security on webhooks and deliveries, and the triggers that queue deliveries.

A trigger on each watched table writes one pending delivery per subscribed, active webhook of
the row's agency, in the same transaction as the state change: however a status is written,
the notification is neither lost (the change committed) nor invented (it rolled back).
"""

from django.db import migrations

from tenants.rls import rls_disable_sql, rls_enable_sql

TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION notifications_status_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    event text := TG_ARGV[0];
    payload jsonb;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'matching_search' THEN
        payload := jsonb_build_object(
            'search_id', NEW.id, 'status', NEW.status,
            'previous_status', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END);
    ELSE
        payload := jsonb_build_object(
            'batch_id', NEW.id, 'status', NEW.status,
            'previous_status', CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END,
            'total', NEW.total, 'processed', NEW.processed, 'enrolled', NEW.enrolled,
            'rejected', NEW.rejected, 'skipped', NEW.skipped);
    END IF;
    INSERT INTO notifications_webhookdelivery
        (id, agency_id, webhook_id, event, payload, status, attempts, failures,
         last_status_code, last_error, next_attempt_at, delivered_at, created_at)
    SELECT gen_random_uuid(), NEW.agency_id, w.id, event,
           payload || jsonb_build_object('event', event, 'agency', NEW.agency_id,
                                         'occurred_at', clock_timestamp()),
           'pending', 0, 0, NULL, '', clock_timestamp(), NULL, clock_timestamp()
    FROM notifications_webhook w
    WHERE w.agency_id = NEW.agency_id AND w.active AND event = ANY (w.events);
    RETURN NEW;
END
$$;
"""

TRIGGERS = """
CREATE TRIGGER notify_search_status AFTER INSERT OR UPDATE OF status ON matching_search
    FOR EACH ROW EXECUTE FUNCTION notifications_status_changed('search.status_changed');
CREATE TRIGGER notify_enrollment_status AFTER INSERT OR UPDATE OF status
    ON matching_enrollmentbatch
    FOR EACH ROW EXECUTE FUNCTION notifications_status_changed('enrollment.status_changed');
"""

DROP = """
DROP TRIGGER IF EXISTS notify_search_status ON matching_search;
DROP TRIGGER IF EXISTS notify_enrollment_status ON matching_enrollmentbatch;
DROP FUNCTION IF EXISTS notifications_status_changed();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_webhooks"),
        ("matching", "0007_candidatereview_rls"),
    ]

    operations = [
        migrations.RunSQL(
            rls_enable_sql("notifications_webhook"), rls_disable_sql("notifications_webhook")
        ),
        migrations.RunSQL(
            rls_enable_sql("notifications_webhookdelivery"),
            rls_disable_sql("notifications_webhookdelivery"),
        ),
        migrations.RunSQL(TRIGGER_FUNCTION + TRIGGERS, DROP),
    ]
