# Run by scripts/real-netbox.sh through `manage.py shell`: the users and tokens
# the real-NetBox suite uses. Idempotent. Reads its inputs from the environment.
#   admin         superuser (password RN_ADMIN_PASSWORD, token RN_ADMIN_TOKEN):
#                 creates objects as a user would, runs `hnp-gitops netbox setup`.
#   hnp-gitops    the service's own least-privilege account (token RN_SERVICE_TOKEN):
#                 view fabrics and git repositories, change fabrics (status fields),
#                 add and view journal entries (the fabric's history).
import os

from django.contrib.auth import get_user_model
from core.models import ObjectType
from users.models import ObjectPermission, Token

User = get_user_model()


def user(name, password, superuser):
    u, _ = User.objects.get_or_create(username=name)
    u.is_superuser = superuser
    u.is_staff = superuser
    u.is_active = True
    u.set_password(password)
    u.save()
    return u


def token(u, key):
    Token.objects.filter(user=u).exclude(key=key).delete()
    Token.objects.get_or_create(user=u, key=key, defaults={"write_enabled": True})


admin = user("admin", os.environ["RN_ADMIN_PASSWORD"], True)
token(admin, os.environ["RN_ADMIN_TOKEN"])

svc = user("hnp-gitops", os.environ["RN_SERVICE_PASSWORD"], False)
token(svc, os.environ["RN_SERVICE_TOKEN"])


def permission(name, actions, models, app_label="netbox_hedgehog"):
    perm, _ = ObjectPermission.objects.get_or_create(name=name, defaults={"actions": actions})
    perm.actions = actions
    perm.save()
    perm.object_types.set(
        ObjectType.objects.filter(app_label=app_label, model__in=models)
    )
    perm.users.set([svc])


permission("hnp-gitops view", ["view"], ["hedgehogfabric", "gitrepository"])
permission("hnp-gitops change fabric", ["change"], ["hedgehogfabric"])
# The change log, which the service reads to catch up after a restart.
permission("hnp-gitops view change log", ["view"], ["objectchange"], app_label="core")
# The fabric's journal: one entry per reconcile that changes something or
# fails; the newest entries are read so that a repeated failure is not
# written again.
permission("hnp-gitops journal", ["add", "view"], ["journalentry"], app_label="extras")
print("bootstrap: admin and hnp-gitops users and tokens ready")
