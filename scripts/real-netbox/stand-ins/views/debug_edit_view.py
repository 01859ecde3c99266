"""Stand-in for netbox_hedgehog/views/debug_edit_view.py (hnp-gitops test harness).

HNP's urls.py imports DebugFabricEditView from this module, which is absent from
the published tree (flowtest 705549aa), so the plugin's URLs do not import
without it. The view answers 501; hnp-gitops never uses it.
"""
from django.http import HttpResponse
from django.views import View


class DebugFabricEditView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("not in HNP's published tree", status=501)

    post = get
