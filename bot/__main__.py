"""`python -m bot` is `wallonia-bot`."""

import sys

from bot.cli import main

sys.exit(main())
