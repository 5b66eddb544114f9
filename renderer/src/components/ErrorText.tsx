import { describeError } from '../model/errorWords.js';
import './ErrorText.css';

/**
 * An error as a person reads it: the words first, the code and the service's own message in a
 * smaller detail line beneath (selectable, for a bug report or a search in the logs).
 */
export function ErrorText({ code, message, testId }: { code: string; message?: string | undefined; testId?: string }) {
  const e = describeError(code, message);
  return (
    <span className="error-text" data-testid={testId} data-code={e.code}>
      <span className="error-words">{e.words}</span>
      <span className="error-detail">{e.detail}</span>
    </span>
  );
}
