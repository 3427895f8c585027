import 'asciinema-player/dist/bundle/asciinema-player.css';
import { useEffect, useRef, useState } from 'react';
import { Modal } from '../../shared/ui/Modal';
import { terminalsApi } from './terminalsApi';
import { TERMINAL_FONT_FAMILY } from './terminalTheme';

interface ReplayModalProps {
  terminalId: string;
  title: string;
  onClose: () => void;
}

/** Plays `GET /api/terminals/:id/recording` (asciicast v2) with asciinema-player. */
export function ReplayModal({ terminalId, title, onClose }: ReplayModalProps) {
  const hostRef = useRef<HTMLDivElement>(null);
  const [phase, setPhase] = useState<'loading' | 'playing' | 'failed'>('loading');

  useEffect(() => {
    let disposed = false;
    let player: { dispose(): void } | null = null;
    const load = async () => {
      try {
        // The recording comes through the API client (same-origin cookie, error toasts).
        const [cast, AsciinemaPlayer] = await Promise.all([terminalsApi.recording(terminalId), import('asciinema-player')]);
        const host = hostRef.current;
        if (disposed || !host) return;
        player = AsciinemaPlayer.create({ data: cast }, host, {
          autoPlay: true,
          fit: 'both',
          idleTimeLimit: 2,
          theme: 'asciinema',
          terminalFontFamily: TERMINAL_FONT_FAMILY,
        });
        setPhase('playing');
      } catch (error) {
        console.warn('anycode: replay failed', error);
        if (!disposed) setPhase('failed');
      }
    };
    void load();
    return () => {
      disposed = true;
      player?.dispose();
    };
  }, [terminalId]);

  return (
    <Modal title={`Replay — ${title}`} onClose={onClose} wide testId="replay-modal">
      {phase === 'loading' && <div className="modal-note">Loading recording…</div>}
      {phase === 'failed' && <div className="modal-note error">The recording could not be loaded.</div>}
      <div ref={hostRef} className="replay-host" data-testid="replay-player" data-phase={phase} />
    </Modal>
  );
}
