from mmcv.transforms import LoadImageFromFile as _LoadImageFromFile

from mmctune.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadImageFromFile(_LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` whose errors name the image: an empty,
    truncated or corrupt file raises ``OSError('cannot read the image
    <path>: ...')`` instead of OpenCV's assertion about an empty buffer.
    Arguments are mmcv's; ``ignore_empty=True`` still skips such files."""

    def transform(self, results: dict):
        try:
            out = super().transform(results)
        except FileNotFoundError:
            raise
        except Exception as e:
            raise OSError(f'cannot read the image {results["img_path"]}: '
                          f'{e}') from e
        if out is None and not self.ignore_empty:
            raise OSError(f'cannot read the image {results["img_path"]}')
        return out
