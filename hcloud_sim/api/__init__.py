"""The public API under ``/v1``: the route table (path patterns to handlers), one module per resource family.

Only the routes the simulator implements are listed; any other path answers 404
``not_found``, a known path with another method 405 ``method_not_allowed``. Every server
action has its own route, so an unknown action name (``/servers/{id}/actions/frobnicate``) is
an unknown route, whether or not the server exists. Routes wrapped in
``deprecated`` mark their requests ``"deprecated": true`` in the request log.
"""

from __future__ import annotations

from ..backend import Backend
from ..routing import Router, deprecated
from . import actions, catalog, images, servers, ssh_keys


def build_router() -> Router[Backend]:
    """The route table of the public API."""
    power = [(f"/v1/servers/{{id}}/actions/{command}", command) for command in servers.POWER_COMMANDS]
    datacenters = catalog.unless_datacenters_removed
    return Router(
        [
            ("GET", "/v1/servers", servers.list_servers),
            ("POST", "/v1/servers", servers.create_server),
            ("GET", "/v1/servers/actions", actions.list_resource_type_actions("server")),
            ("GET", "/v1/servers/actions/{id}", actions.get_resource_type_action("server")),
            ("GET", "/v1/servers/{id}", servers.get_server),
            ("PUT", "/v1/servers/{id}", servers.update_server),
            ("DELETE", "/v1/servers/{id}", servers.delete_server),
            ("GET", "/v1/servers/{id}/actions", actions.list_resource_actions("server")),
            ("GET", "/v1/servers/{id}/actions/{action_id}", deprecated(actions.get_resource_action("server"))),
            ("POST", "/v1/servers/{id}/actions/create_image", servers.create_image),
            ("POST", "/v1/servers/{id}/actions/rebuild", servers.rebuild_server),
            ("POST", "/v1/servers/{id}/actions/change_protection", servers.change_server_protection),
            ("POST", "/v1/servers/{id}/actions/change_type", servers.change_server_type),
            ("POST", "/v1/servers/{id}/actions/enable_backup", servers.no_body_action("enable_backup")),
            ("POST", "/v1/servers/{id}/actions/disable_backup", servers.no_body_action("disable_backup")),
            ("POST", "/v1/servers/{id}/actions/enable_rescue", servers.enable_rescue),
            ("POST", "/v1/servers/{id}/actions/disable_rescue", servers.no_body_action("disable_rescue")),
            *[("POST", path, servers.power_action(command)) for path, command in power],
            ("GET", "/v1/actions", actions.poll_actions),
            ("GET", "/v1/actions/{id}", actions.get_action),
            ("GET", "/v1/images", images.list_images),
            ("GET", "/v1/images/actions", actions.list_resource_type_actions("image")),
            ("GET", "/v1/images/actions/{id}", actions.get_resource_type_action("image")),
            ("GET", "/v1/images/{id}", images.get_image),
            ("PUT", "/v1/images/{id}", images.update_image),
            ("DELETE", "/v1/images/{id}", images.delete_image),
            ("GET", "/v1/images/{id}/actions", actions.list_resource_actions("image")),
            ("GET", "/v1/images/{id}/actions/{action_id}", deprecated(actions.get_resource_action("image"))),
            ("POST", "/v1/images/{id}/actions/change_protection", images.change_image_protection),
            ("GET", "/v1/ssh_keys", ssh_keys.list_ssh_keys),
            ("POST", "/v1/ssh_keys", ssh_keys.create_ssh_key),
            ("GET", "/v1/ssh_keys/{id}", ssh_keys.get_ssh_key),
            ("PUT", "/v1/ssh_keys/{id}", ssh_keys.update_ssh_key),
            ("DELETE", "/v1/ssh_keys/{id}", ssh_keys.delete_ssh_key),
            ("GET", "/v1/locations", catalog.catalog_list("locations", catalog.LOCATIONS)),
            ("GET", "/v1/locations/{id}", catalog.catalog_get("location", catalog.LOCATIONS)),
            ("GET", "/v1/server_types", catalog.catalog_list("server_types", catalog.SERVER_TYPES)),
            ("GET", "/v1/server_types/{id}", catalog.catalog_get("server_type", catalog.SERVER_TYPES)),
            ("GET", "/v1/datacenters", deprecated(datacenters(catalog.catalog_list("datacenters", catalog.DATACENTERS)))),
            ("GET", "/v1/datacenters/{id}", deprecated(datacenters(catalog.catalog_get("datacenter", catalog.DATACENTERS)))),
            ("GET", "/v1/pricing", catalog.get_pricing),
        ]
    )
