"""SOP step 7 as a saga: allocate → render → validate → diff → push → verify → monitor →
confirm → record. Each stage is journaled before and after it runs; each has an undo."""
