"""The serializers of `/api/v1/`, one module per family of resources."""
