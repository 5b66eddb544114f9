/**
 * The small subset of Home Assistant's Jinja value templates that real discovery configs use
 * (Zigbee2MQTT, Tasmota, ESPHome): `{{ value }}`, `{{ value_json.a.b }}`, `{{ value_json['a'] }}`,
 * `{{ value_json.a[0] }}` with the filters float, int, round(n), lower, upper, trim, default(x).
 * Anything else (if/else blocks, arithmetic) is reported as unsupported at parse time rather than
 * evaluated wrongly (https://www.home-assistant.io/docs/configuration/templating/#using-value-templates-with-mqtt).
 */
export interface CompiledTemplate {
  /** undefined when the payload does not have what the template asks for */
  render(payload: string): unknown;
}

type Step = string | number;
interface Filter {
  name: string;
  arg?: string | number;
}

const EXPR = /^\{\{\s*(.+?)\s*\}\}$/s;

export function compileTemplate(template: string): CompiledTemplate | undefined {
  const m = EXPR.exec(template.trim());
  if (!m?.[1]) return undefined;
  const [head, ...filterParts] = m[1].split('|').map((s) => s.trim());
  if (!head) return undefined;
  const path = parsePath(head);
  if (!path) return undefined;
  const filters: Filter[] = [];
  for (const f of filterParts) {
    const fm = /^([a-z_]+)(?:\((.*)\))?$/.exec(f);
    if (!fm?.[1] || !['float', 'int', 'round', 'lower', 'upper', 'trim', 'default', 'string'].includes(fm[1])) return undefined;
    const rawArg = fm[2]?.trim();
    let arg: string | number | undefined;
    if (rawArg !== undefined && rawArg !== '') {
      const q = /^(['"])(.*)\1$/.exec(rawArg);
      arg = q ? (q[2] ?? '') : Number(rawArg);
      if (typeof arg === 'number' && !Number.isFinite(arg)) return undefined;
    }
    filters.push(arg === undefined ? { name: fm[1] } : { name: fm[1], arg });
  }
  return {
    render(payload: string): unknown {
      let v: unknown;
      if (path.json) {
        let obj: unknown;
        try {
          obj = JSON.parse(payload);
        } catch {
          obj = undefined;
        }
        v = obj;
        for (const s of path.steps) {
          if (v === null || typeof v !== 'object') {
            v = undefined;
            break;
          }
          v = (v as Record<string | number, unknown>)[s];
        }
      } else {
        v = payload;
      }
      for (const f of filters) v = applyFilter(f, v);
      return v;
    },
  };
}

function parsePath(expr: string): { json: boolean; steps: Step[] } | undefined {
  if (expr === 'value') return { json: false, steps: [] };
  if (!expr.startsWith('value_json')) return undefined;
  let rest = expr.slice('value_json'.length);
  const steps: Step[] = [];
  while (rest.length > 0) {
    const dot = /^\.([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
    const idx = /^\[\s*(?:(['"])(.*?)\1|(\d+))\s*\]/.exec(rest);
    if (dot?.[1]) {
      steps.push(dot[1]);
      rest = rest.slice(dot[0].length);
    } else if (idx) {
      steps.push(idx[3] !== undefined ? Number(idx[3]) : (idx[2] ?? ''));
      rest = rest.slice(idx[0].length);
    } else {
      return undefined;
    }
  }
  return { json: true, steps };
}

function applyFilter(f: Filter, v: unknown): unknown {
  switch (f.name) {
    case 'default':
      return v === undefined || v === null ? f.arg : v;
    case 'float':
    case 'int': {
      if (v === undefined) return undefined;
      const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v.trim()) : NaN;
      if (!Number.isFinite(n)) return typeof f.arg === 'number' ? f.arg : 0;
      return f.name === 'int' ? Math.trunc(n) : n;
    }
    case 'round': {
      if (typeof v !== 'number') return v;
      const p = 10 ** (typeof f.arg === 'number' ? f.arg : 0);
      return Math.round(v * p) / p;
    }
    case 'lower':
      return typeof v === 'string' ? v.toLowerCase() : v;
    case 'upper':
      return typeof v === 'string' ? v.toUpperCase() : v;
    case 'trim':
      return typeof v === 'string' ? v.trim() : v;
    case 'string':
      return v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v);
  }
  return v;
}

/** Command templates: only `{{ value }}` substitution (with optional int/float/round filters) is supported. */
export function renderCommandTemplate(template: string | undefined, value: string | number): string {
  if (template === undefined) return String(value);
  return template.replace(/\{\{\s*value\s*(\|[^}]*)?\}\}/g, (_all, filters: string | undefined) => {
    let v: unknown = value;
    for (const part of (filters ?? '')
      .split('|')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const fm = /^([a-z_]+)(?:\((.*)\))?$/.exec(part);
      if (fm?.[1]) v = applyFilter(fm[2] ? { name: fm[1], arg: Number(fm[2]) } : { name: fm[1] }, v);
    }
    return String(v);
  });
}

/** A rendered template value as the text a state or availability payload is compared with. */
export function textOf(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}
