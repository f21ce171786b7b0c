-- c;
/* a /* b; */ ; */ SELECT 1 /* open