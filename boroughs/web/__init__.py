"""The web application: FastAPI app factory, shared templates and static assets."""
