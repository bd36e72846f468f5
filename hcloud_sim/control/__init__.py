"""The control API (``/_sim``): its routes (``routes``) and its client (``client``)."""
