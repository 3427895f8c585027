import type { ISearchOptions, SearchAddon } from '@xterm/addon-search';
import { useEffect, useRef, useState } from 'react';

const searchOptions: ISearchOptions = {
  caseSensitive: false,
  decorations: {
    matchBackground: '#3b4048',
    matchOverviewRuler: '#d2992280',
    activeMatchBackground: '#9e6a03',
    activeMatchColorOverviewRuler: '#d29922',
  },
};

interface SearchBoxProps {
  getSearch: () => SearchAddon | null;
  onClose: () => void;
}

/** Find in the terminal buffer: Enter next, Shift+Enter previous, Escape closes. */
export function SearchBox({ getSearch, onClose }: SearchBoxProps) {
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<boolean | null>(null);
  const [matches, setMatches] = useState<{ index: number; count: number } | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    inputRef.current?.focus();
    const search = getSearch();
    if (!search) return;
    const sub = search.onDidChangeResults(({ resultIndex, resultCount }) =>
      setMatches({ index: resultIndex, count: resultCount }),
    );
    return () => {
      sub.dispose();
      search.clearDecorations();
    };
  }, [getSearch]);

  const find = (backwards: boolean, term = query) => {
    const search = getSearch();
    if (!search) return;
    if (!term) {
      search.clearDecorations();
      setFound(null);
      setMatches(null);
      return;
    }
    const ok = backwards ? search.findPrevious(term, searchOptions) : search.findNext(term, searchOptions);
    setFound(ok);
  };

  return (
    <div className="search-box" data-testid="terminal-search">
      <input
        ref={inputRef}
        value={query}
        placeholder="Find"
        spellCheck={false}
        className={found === false ? 'not-found' : undefined}
        onChange={(e) => {
          setQuery(e.target.value);
          find(false, e.target.value);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter') find(e.shiftKey);
          else if (e.key === 'Escape') onClose();
        }}
      />
      <span className="search-count">
        {matches && matches.count > 0 ? `${matches.index + 1}/${matches.count}` : found === false ? 'no match' : ''}
      </span>
      <button className="icon-button" title="Previous (Shift+Enter)" onClick={() => find(true)}>
        ↑
      </button>
      <button className="icon-button" title="Next (Enter)" onClick={() => find(false)}>
        ↓
      </button>
      <button className="icon-button" title="Close (Esc)" onClick={onClose}>
        ×
      </button>
    </div>
  );
}
