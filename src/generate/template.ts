/**
 * Templates from `templates/` with `{{slot}}` placeholders. Rendering is strict: a slot the
 * template has but the caller did not fill, or a value the template has no slot for, is an
 * error, so a template and its generator cannot drift apart. A slot alone on its line may
 * render to several lines, or to none, and then the line goes.
 */
import { readFileSync } from 'node:fs';
import { UndockerError } from '../errors.js';

// Three folders up from dist/src/<folder>/, where the CLI bundle lives too.
const TEMPLATES = new URL('../../../templates/', import.meta.url);
const SLOT = /\{\{([a-z_]+)\}\}/g;

/** SlotValue is a slot's text; an array is one line per item, alone on the slot's line. */
export type SlotValue = string | string[];

/** renderText fills the slots of `template`; `name` names it in errors. */
export function renderText(name: string, template: string, slots: Record<string, SlotValue>): string {
  const used = new Set<string>();
  const lines: string[] = [];
  for (const line of template.split('\n')) {
    const alone = /^\{\{([a-z_]+)\}\}$/.exec(line);
    const value = alone !== null ? slots[alone[1] as string] : undefined;
    if (alone !== null && Array.isArray(value)) {
      used.add(alone[1] as string);
      lines.push(...value);
      continue;
    }
    lines.push(
      line.replace(SLOT, (_, slot: string) => {
        const text = slots[slot];
        if (text === undefined)
          throw new UndockerError('UNDOCKER_UNSUPPORTED', `template ${name}: slot {{${slot}}} has no value`);
        if (Array.isArray(text))
          throw new UndockerError(
            'UNDOCKER_UNSUPPORTED',
            `template ${name}: slot {{${slot}}} takes lines, so it must stand alone on its line`,
          );
        used.add(slot);
        return text;
      }),
    );
  }
  const leftover = Object.keys(slots).filter((slot) => !used.has(slot));
  if (leftover.length > 0)
    throw new UndockerError(
      'UNDOCKER_UNSUPPORTED',
      `template ${name}: no slot for ${leftover.map((s) => `{{${s}}}`).join(', ')}`,
    );
  return lines.join('\n');
}

/** renderTemplate fills the slots of `templates/NAME`. */
export function renderTemplate(name: string, slots: Record<string, SlotValue>): string {
  return renderText(name, readFileSync(new URL(name, TEMPLATES), 'utf8'), slots);
}
