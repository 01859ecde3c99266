# The migration that goes with fabric-json-blank.patch (hnp-gitops, issue 11):
# blank=True on the three JSON fields whose defaults are empty, so that a PATCH
# of a fabric's custom fields passes NetBox's full_clean(). Django records the
# change; the database schema does not change.
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('netbox_hedgehog', '0028_fix_valid_sync_status_constraint'),
    ]

    operations = [
        migrations.AlterField(
            model_name='hedgehogfabric',
            name='scheduler_metadata',
            field=models.JSONField(blank=True, default=dict, help_text='Scheduler-specific metadata and planning information'),
        ),
        migrations.AlterField(
            model_name='hedgehogfabric',
            name='active_sync_tasks',
            field=models.JSONField(blank=True, default=list, help_text='List of currently active sync tasks for this fabric'),
        ),
        migrations.AlterField(
            model_name='hedgehogfabric',
            name='watch_crd_types',
            field=models.JSONField(blank=True, default=list, help_text='List of CRD types to watch (empty for all supported types)'),
        ),
    ]
