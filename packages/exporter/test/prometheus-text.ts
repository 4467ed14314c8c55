/**
 * A strict reader of Prometheus' text exposition format (version 0.0.4),
 * for tests: every line a HELP, a TYPE or a sample of the family its TYPE
 * names; names and labels as the format allows them; values numbers. It
 * throws, naming the line, at anything else.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SUFFIXES: Record<string, string[]> = {
  counter: [''],
  gauge: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
  untyped: [''],
};

function labels(text: string, line: number): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = text;
  while (rest.length) {
    const m = /^([^=]+)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest);
    if (!m || !LABEL.test(m[1]!))
      throw new Error(`line ${line}: bad labels ${JSON.stringify(text)}`);
    if (m[1]! in out) throw new Error(`line ${line}: label ${m[1]} twice`);
    out[m[1]!] = m[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    rest = rest.slice(m[0].length);
  }
  return out;
}

export function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw === '') return;
    const help = /^# HELP (\S+) (.*)$/.exec(raw);
    if (help) {
      if (!NAME.test(help[1]!)) throw new Error(`line ${line}: bad name ${help[1]}`);
      current = { name: help[1]!, type: 'untyped', help: help[2]!, samples: [] };
      if (families.has(current.name)) throw new Error(`line ${line}: family ${current.name} twice`);
      families.set(current.name, current);
      return;
    }
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(raw);
    if (type) {
      if (!current || current.name !== type[1])
        throw new Error(`line ${line}: TYPE of ${type[1]} without its HELP`);
      current.type = type[2]!;
      return;
    }
    if (raw.startsWith('#')) throw new Error(`line ${line}: unknown comment ${raw}`);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(raw);
    if (!sample || !current) throw new Error(`line ${line}: not a sample: ${raw}`);
    const [, name, labelText, valueText] = sample;
    if (!SUFFIXES[current.type]!.some((s) => name === `${current!.name}${s}`))
      throw new Error(`line ${line}: ${name} is no sample of ${current.type} ${current.name}`);
    const value = Number(valueText === '+Inf' ? Infinity : valueText);
    if (Number.isNaN(value) && valueText !== 'NaN')
      throw new Error(`line ${line}: bad value ${valueText}`);
    current.samples.push({ name: name!, labels: labels(labelText ?? '', line), value });
  });
  return families;
}
