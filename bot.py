"""Entry point: `python bot.py` runs the bot, like `cetr-bot run`.

Other commands: `python bot.py --help` (the same as `cetr-bot --help`).
"""

import sys

from cetr_bot.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["run"]))
