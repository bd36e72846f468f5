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
      - Whitespace around the token (a trailing newline of a vault made with C(echo)) is dropped. What is left must be
        letters, digits and C(-._~+/), then C(=) padding (an RFC 6750 bearer token; Hetzner Cloud's are 64 letters and
        digits); anything else is refused before any request, without showing the token.
      - The token is never shown in the output, in logs or in error messages.
    type: str
    required: true
  api_endpoint:
    description:
      - The URL of the Hetzner Cloud API.
      - If not set, the value of the E(HCLOUD_ENDPOINT) environment variable is used, and if that is not set either,
        V(https://api.hetzner.cloud/v1).
      - Point it at a local C(hcloud_sim) simulator (for example V(http://127.0.0.1:8765/v1)) to test playbooks offline.
      - Plain C(http://) is refused unless the host is a loopback address (C(127.0.0.0/8), C(::1), C(localhost)). A URL
        that URL parsers read differently is refused before any request, saying why (user info, a backslash, whitespace,
        non-ASCII, a query or fragment, a percent-encoded host, an IPv4 address such as C(127.1) or C(0x7f000001), a
        port outside 1 to 65535, a host ending with a dot, C(.) or C(..) in the path).
    type: str
    default: https://api.hetzner.cloud/v1
  request_timeout:
    description:
      - Seconds to wait for an answer to one API request before giving up on that request; at most 3600.
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
      - Required, unless the lookup's C(projects) give each project its own; without it the lookup fails before any
        request, saying to set it or E(HCLOUD_TOKEN).
      - The variable may hold a template (C("{{ vault_hcloud_token }}")); the lookup templates it.
      - The same rules as the modules' C(api_token) apply (whitespace around it dropped, RFC 6750 characters).
      - The token is never shown in the output, in logs or in error messages.
    type: str
    env:
      - name: HCLOUD_TOKEN
    vars:
      - name: hcloud_api_token
  api_endpoint:
    description:
      - The URL of the Hetzner Cloud API, or of a local C(hcloud_sim) simulator.
      - The variable may hold a template; the same rules as the modules' C(api_endpoint) apply.
    type: str
    default: https://api.hetzner.cloud/v1
    env:
      - name: HCLOUD_ENDPOINT
    vars:
      - name: hcloud_api_endpoint
  request_timeout:
    description:
      - Seconds to wait for an answer to one API request before giving up on that request; at most 3600.
    type: float
    default: 30
requirements:
  - hcloud >= 2.10.0
"""
