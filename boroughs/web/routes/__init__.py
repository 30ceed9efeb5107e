"""Core routes: pages, sign-in, admin and the geography API."""
