/**
 * helperTree is the /.undocker folder of a tree undocker writes: the identity helper (setpriv, its
 * loader and libraries, the static busybox that reads the launcher) and the launcher itself.
 */
import { basename } from 'node:path';
import type { AddedTree } from '../flatten/added-tree.js';
import { HELPER_DIR } from '../generate/helper-argv.js';
import { LAUNCHER } from '../generate/launcher.js';
import type { IdentityHelper } from '../launch/identity-helper.js';

/** helperTree lists the folder's files; `launcher` is the script's text. */
export function helperTree(helper: IdentityHelper, launcher: string): AddedTree {
  return {
    name: HELPER_DIR.slice(1),
    files: [
      ...helper.binds.map((bind) => ({ name: basename(bind.container), mode: 0o755, source: { host: bind.host } })),
      { name: basename(LAUNCHER), mode: 0o755, source: { text: launcher } },
    ],
  };
}
