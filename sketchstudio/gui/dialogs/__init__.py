"""Dialogs: new project, import, export, shortcuts."""
