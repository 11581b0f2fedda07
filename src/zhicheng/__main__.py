"""Run the command line with `python -m zhicheng`."""

from zhicheng.cli import main

main()
