"""optim layer."""
