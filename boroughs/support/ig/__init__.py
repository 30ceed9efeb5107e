"""Information governance on the web (issue 17): subject access and retention for the council's
information governance officer (role ``council_ig``)."""
