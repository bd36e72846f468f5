# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Version of the collection, sent in the user agent of every API request."""

# This module_utils is PRIVATE and should only be used by this collection. Breaking changes can occur any time.

from __future__ import annotations

COLLECTION_NAME = "lockaware.hcloud"
COLLECTION_VERSION = "0.1.0"
