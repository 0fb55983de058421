"""Settings for the API benchmark: the project's own, with a URLconf that adds the floor."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
