"""What every function shares: errors, logging, HTTP and event handling, auth."""
