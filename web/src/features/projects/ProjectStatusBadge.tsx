import type { ProjectView } from '../../shared/api/types';

/** `importing` (pulsing) or `ready`. */
export function ProjectStatusBadge({ project }: { project: ProjectView }) {
  return (
    <span className={`sandbox-status project-status-${project.status}`} data-testid="project-status" data-status={project.status}>
      {project.status}
    </span>
  );
}
