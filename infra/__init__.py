"""Local stack, deploy bundler, manifest generation and the dev CLI."""
