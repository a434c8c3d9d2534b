"""The views of `/api/v1/`, one module per family of resources (registered in `api.routers`)."""
