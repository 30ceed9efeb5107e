"""The support area's own web layer: what every council page shares (the council from the address, the
templates' context, form fields, redirects) and the /support front page."""
