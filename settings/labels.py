"""Labels every object of the stack carries, so `kubectl get -l` finds what this program manages."""

from settings.config import PROJECT

MANAGED_BY = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": PROJECT}
