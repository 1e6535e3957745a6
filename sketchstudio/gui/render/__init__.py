"""The Render view: images generated from the sketch."""
