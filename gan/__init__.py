"""gan: GAN critic and generator losses as variational forms of `divergences`."""

__all__: list[str] = []
