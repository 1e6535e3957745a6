"""The Draw view: a sketch canvas with pen, erasers, undo and a photo underlay."""
