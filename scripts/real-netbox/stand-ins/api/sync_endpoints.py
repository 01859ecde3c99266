"""Stand-in for netbox_hedgehog/api/sync_endpoints.py (hnp-gitops test harness).

HNP's api/urls.py imports HCKCSyncView and StateComparisonView from this module,
but the plugin's .gitignore leaves the file out of its published tree (flowtest
705549aa), so the plugin's API does not import without it. These views answer
501: hnp-gitops never calls them. Nothing else of HNP is replaced.
"""
from rest_framework.response import Response
from rest_framework.views import APIView


class _Absent(APIView):
    def get(self, request, *args, **kwargs):
        return Response({"detail": "not in HNP's published tree"}, status=501)

    post = get


class HCKCSyncView(_Absent):
    pass


class StateComparisonView(_Absent):
    pass
