"""What the agencies register when collection starts: each module's `register()`, called from CollectionConfig.ready."""


def agencies_ready() -> None:
    from collection.agencies import commission, exchange, performance, placement, portal, recall, services, statements

    for module in (services, placement, recall, portal, commission, statements, exchange, performance):
        module.register()
