# Copyright: (c) 2026, lockaware.hcloud contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options every plugin of the collection shares: how to reach the Hetzner Cloud API."""

from __future__ import annotations


class ModuleDocFragment:
    """Documentation of the API connection options."""

    # For modules: environment variables are described in prose, as modules read them through a fallback.
    DOCUMENTATION = r"""
options:
  api_token:
    description:
      - The API token of the Hetzner Cloud project, with read and write permission.
      - If not set, the value of the E(HCLOUD_TOKEN) environment variable is used.
      - The token is never shown in the output, in logs or in error messages.
    type: str
    required: true
  api_endpoint:
    description:
      - The URL of the Hetzner Cloud API.
      - If not set, the value of the E(HCLOUD_ENDPOINT) environment variable is used, and if that is not set either,
        V(https://api.hetzner.cloud/v1).
      - Point it at a local C(hcloud_sim) simulator (for example V(http://127.0.0.1:8765/v1)) to test playbooks offline.
    type: str
    default: https://api.hetzner.cloud/v1
  request_timeout:
    description:
      - Seconds to wait for an answer to one API request before giving up on that request.
    type: float
    default: 30
requirements:
  - hcloud >= 2.10.0
"""

    # For the lookup plugin: environment variables and inventory variables are declared, not described.
    LOOKUP = r"""
options:
  api_token:
    description:
      - The API token of the Hetzner Cloud project; read permission is enough.
      - The token is never shown in the output, in logs or in error messages.
    type: str
    required: true
    env:
      - name: HCLOUD_TOKEN
    vars:
      - name: hcloud_api_token
  api_endpoint:
    description:
      - The URL of the Hetzner Cloud API, or of a local C(hcloud_sim) simulator.
    type: str
    default: https://api.hetzner.cloud/v1
    env:
      - name: HCLOUD_ENDPOINT
    vars:
      - name: hcloud_api_endpoint
  request_timeout:
    description:
      - Seconds to wait for an answer to one API request before giving up on that request.
    type: float
    default: 30
requirements:
  - hcloud >= 2.10.0
"""
