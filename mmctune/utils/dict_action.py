"""``--cfg-options`` values that are dicts, as OpenMMLab users write them."""
import ast
from typing import Any

from mmengine.config import DictAction as _MMEngineDictAction


def _literal(node: ast.AST) -> Any:
    """The value of an expression of literals, lists, tuples, dicts and
    ``dict(key=value, ...)`` calls; bare names (``TCLLoss``,
    ``mmpretrain.ResNet``) are strings, as mmengine's parser has them."""
    if isinstance(node, ast.Constant):
        return node.value
    signed = isinstance(node, ast.UnaryOp) and isinstance(
        node.op, (ast.USub, ast.UAdd))
    if signed and isinstance(node.operand, ast.Constant):
        value = node.operand.value
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f'{_literal(node.value)}.{node.attr}'
    if isinstance(node, ast.List):
        return [_literal(v) for v in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_literal(v) for v in node.elts)
    if isinstance(node, ast.Dict):
        return {
            _literal(k): _literal(v)
            for k, v in zip(node.keys, node.values)
        }
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'dict' and not node.args
            and all(k.arg for k in node.keywords)):
        return {k.arg: _literal(k.value) for k in node.keywords}
    raise ValueError(f'not a literal: {ast.dump(node)[:60]}')


def _has_dict(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Dict) or (isinstance(n, ast.Call) and isinstance(
            n.func, ast.Name) and n.func.id == 'dict') for n in ast.walk(node))


class DictAction(_MMEngineDictAction):
    """mmengine's ``DictAction`` (``key=value`` pairs; lists as ``key=a,b``
    or ``key="[a,b]"``), which also reads dicts, where mmengine's parser
    fails (``RecursionError``, or a string where a dict was meant):

    - ``model.head.con_loss="dict(_delete_=True, type=TCLLoss,
      loss_weight=0.1)"``: the whole dict, replacing the config's (without
      ``_delete_=True`` it is merged into the config's, keeping the
      arguments it does not give);
    - ``custom_hooks="[dict(type=EMAHook, momentum=0.001)]"``.

    Names without quotes are strings (``type=TCLLoss``), as for mmengine.
    Any value that is not such an expression is parsed by mmengine's rules.
    """

    @staticmethod
    def _parse_iterable(val: str) -> Any:
        text = val.strip()
        try:
            tree = ast.parse(text, mode='eval').body
        except SyntaxError:
            tree = None
        if tree is not None and _has_dict(tree):
            try:
                return _literal(tree)
            except ValueError:
                pass
        return _MMEngineDictAction._parse_iterable(val)
