"""HTTP bench scenarios, one module per area. Each module defines `scenarios(stack) -> list[Probe]`: it
prepares data through the running stack and returns the requests to measure."""
