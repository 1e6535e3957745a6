"""Package list for setuptools: the `sketchstudio` package plus the two data folders that ship
inside it (`models/` as `sketchstudio._zoo`, `resources/` as `sketchstudio._resources`, mapped in
pyproject.toml). Everything else is configured in pyproject.toml."""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["sketchstudio", "sketchstudio.*"]),
                "sketchstudio._zoo", "sketchstudio._resources"])
