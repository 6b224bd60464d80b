"""Pure domain: models, SOP rules, the working-day clock, address planning. No I/O."""
