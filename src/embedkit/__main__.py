"""``python -m embedkit`` runs the command-line tool."""

from embedkit.cli import main

if __name__ == "__main__":
    main()
