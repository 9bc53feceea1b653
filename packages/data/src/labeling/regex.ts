// Regular-expression labelling function: votes a label when a pattern matches a field.
import { DataError } from '../errors.js';
import { ABSTAIN, type LabelingFunction } from './types.js';
import { requireName, textField } from './utils.js';

export interface RegexLFOptions<L extends string> {
  /** LF name (unique within a set of LFs). */
  name: string;
  /** Record field holding the text; records without a string there get an abstain. */
  field: string;
  /** A RegExp, or a source string compiled with the `u` flag. */
  pattern: RegExp | string;
  /** The label voted when the pattern matches. */
  label: L;
}

export function regexLF<L extends string>(options: RegexLFOptions<L>): LabelingFunction<L> {
  const { name, field, pattern, label } = options;
  requireName(name, 'regexLF');
  let regex: RegExp;
  if (typeof pattern === 'string') {
    try {
      regex = new RegExp(pattern, 'u');
    } catch (cause) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `regexLF "${name}" has an invalid pattern ${JSON.stringify(pattern)} (${(cause as Error).message}); fix the regular expression.`,
        { field, cause },
      );
    }
  } else if (pattern instanceof RegExp) {
    // `g` and `y` make test() stateful (lastIndex), which would make votes depend on record order.
    regex = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  } else {
    throw new DataError('INVALID_ARGUMENT', `regexLF "${name}" needs a RegExp or string pattern.`, {
      field,
    });
  }
  return {
    name,
    apply(record) {
      const text = textField(record, field);
      if (text === undefined) return ABSTAIN;
      return regex.test(text) ? label : ABSTAIN;
    },
  };
}
